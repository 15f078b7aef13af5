"""The runs of a persisted index while they load: the table's first pages at once, the rest on demand.

Unpickling 100,000 records takes 1.7 s, and a restart should show the table in well under a second.
So the index keeps a small front part (scan/index.py): the sorted views the table opens on, their
first pages of records, and the number of runs. `LoadingRuns` serves those, and loads the rest the
first time anything else is asked for: by the scanner thread as it starts (so no request waits in
practice), or by a request that comes first. Reads never see a half-loaded state.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator, Mapping

from .records import RunRecord


class LoadingRuns(Mapping[str, RunRecord]):
    """A read-only mapping of run id to record, like the dict a snapshot normally holds."""

    def __init__(self, count: int, front: dict[str, RunRecord], load_rest: Callable[[], dict | None]) -> None:
        """`count`: how many runs the index holds; `front`: the records the first pages show;
        `load_rest`: all the records (a superset of `front`), or None when they cannot be read."""
        self._count = count
        self._front = front
        self._load_rest = load_rest
        self._all: dict[str, RunRecord] | None = None
        self._lock = threading.Lock()

    @property
    def loaded(self) -> bool:
        return self._all is not None

    def everything(self) -> dict[str, RunRecord]:
        """All the records, loading them on first use (one loader; other callers wait for it)."""
        runs = self._all
        if runs is None:
            with self._lock:
                if self._all is None:
                    # Unreadable: the front alone, so no id a page shows is missing; the first walk
                    # finds the others again.
                    self._all = self._load_rest() or dict(self._front)
                runs = self._all
        return runs

    def __getitem__(self, run_id: str) -> RunRecord:
        record = self._front.get(run_id) if self._all is None else self._all.get(run_id)
        return record if record is not None else self.everything()[run_id]

    def __len__(self) -> int:
        return self._count if self._all is None else len(self._all)

    def __iter__(self) -> Iterator[str]:
        return iter(self.everything())

    # The dict's own views: set operations and iteration at C speed (a poll compares 100,000 ids).
    def keys(self):  # type: ignore[override]
        return self.everything().keys()

    def values(self):  # type: ignore[override]
        return self.everything().values()

    def items(self):  # type: ignore[override]
        return self.everything().items()
