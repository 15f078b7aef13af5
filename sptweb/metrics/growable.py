"""A numpy array with spare capacity, so appending k values costs O(k) amortised, not O(size)."""

from __future__ import annotations

import numpy as np

INITIAL_CAPACITY = 1024
# Room reserved by a first fill of a series that is still growing (a running
# run): the appends that follow copy nothing until it is used up. Past that,
# buffers grow by half again, so appends stay O(k) amortised either way.
HEADROOM = 0.25
GROWTH = 1.5


class GrowableArray:
    """Append-only 1-D array; `view()` is a read-only window onto the filled part.

    A view taken before an append stays valid: growth copies into a new buffer
    and leaves the old one to whoever still holds it.
    """

    __slots__ = ("_buffer", "_headroom", "_size")

    def __init__(self, dtype, values: np.ndarray | None = None, growing: bool = False) -> None:
        self._buffer = np.empty(0, dtype=dtype)
        self._size = 0
        self._headroom = HEADROOM if growing else 0.0
        if values is not None:
            self.extend(values)

    def extend(self, values: np.ndarray) -> None:
        if self._size == 0 and not self._headroom and _adoptable(values, self._buffer.dtype):
            self._buffer, self._size = values, len(values)  # a finished run's first fill: no copy
            return
        needed = self._size + len(values)
        if needed > len(self._buffer):
            if self._size == 0:
                capacity = max(INITIAL_CAPACITY if self._headroom else 0, int(needed * (1 + self._headroom)))
            else:
                capacity = max(needed, int(GROWTH * len(self._buffer)))
            grown = np.empty(capacity, dtype=self._buffer.dtype)
            grown[: self._size] = self._buffer[: self._size]
            self._buffer = grown
        self._buffer[self._size : needed] = values
        self._size = needed

    def view(self) -> np.ndarray:
        window = self._buffer[: self._size]
        window.flags.writeable = False
        return window

    def __len__(self) -> int:
        return self._size

    @property
    def nbytes(self) -> int:
        return self._buffer.nbytes


def _adoptable(values: np.ndarray, dtype) -> bool:
    """A fresh array the caller hands over: right dtype, contiguous, owning its memory."""
    return (
        isinstance(values, np.ndarray)
        and values.dtype == dtype
        and values.flags.c_contiguous
        and values.flags.owndata
        and values.flags.writeable
    )
