"""Downsampling that never hides a spike: per x-bucket first, last, min, max (M4).

Each bucket is one pixel of chart width. Of the points in it we keep the
first and last (so lines join up), the lowest and highest finite values (so
a one-step spike survives at any zoom), and the first non-finite value (so
an exploding loss shows as a gap). Every kept point is a real point.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

POINTS_PER_BUCKET = 4  # below this many points per pixel, send everything


@dataclass(frozen=True)
class Selection:
    """Indices of the points to send, and their bucket's finite min and max (None if not downsampled)."""

    indices: np.ndarray
    bucket_min: np.ndarray | None = None
    bucket_max: np.ndarray | None = None

    @property
    def downsampled(self) -> bool:
        return self.bucket_min is not None


def select(x: np.ndarray, y: np.ndarray, buckets: int) -> Selection:
    """Choose points of (x sorted ascending, y) for a chart `buckets` pixels wide."""
    count = len(x)
    if count <= POINTS_PER_BUCKET * buckets or count == 0:
        return Selection(np.arange(count))
    starts, counts = _bucket_starts(x, buckets)
    ends = starts + counts
    finite = np.isfinite(y)
    low = np.where(finite, y, np.inf)
    high = np.where(finite, y, -np.inf)
    bucket_low = np.minimum.reduceat(low, starts)
    bucket_high = np.maximum.reduceat(high, starts)
    bucket_of_point = np.repeat(np.arange(len(starts)), counts)
    keep = np.concatenate(
        [
            starts,
            ends - 1,
            _first_where(low == bucket_low[bucket_of_point], bucket_of_point),
            _first_where(high == bucket_high[bucket_of_point], bucket_of_point),
            _first_where(~finite, bucket_of_point),
        ]
    )
    indices = np.unique(keep)
    chosen_buckets = bucket_of_point[indices]
    return Selection(
        indices,
        _finite_or_nan(bucket_low)[chosen_buckets],
        _finite_or_nan(bucket_high)[chosen_buckets],
    )


def _bucket_starts(x: np.ndarray, buckets: int) -> tuple[np.ndarray, np.ndarray]:
    """Start index and size of each non-empty bucket of equal x width."""
    span = x[-1] - x[0]
    if span <= 0:
        positions = np.zeros(len(x), dtype=np.int64)
    else:
        positions = np.minimum(((x - x[0]) * (buckets / span)).astype(np.int64), buckets - 1)
    starts = np.flatnonzero(np.diff(positions, prepend=-1))
    counts = np.diff(starts, append=len(x))
    return starts, counts


def _first_where(mask: np.ndarray, bucket_of_point: np.ndarray) -> np.ndarray:
    """Index of the first True per bucket (buckets with none contribute nothing)."""
    hits = np.flatnonzero(mask)
    if len(hits) == 0:
        return hits
    first = np.flatnonzero(np.diff(bucket_of_point[hits], prepend=-1))
    return hits[first]


def _finite_or_nan(values: np.ndarray) -> np.ndarray:
    return np.where(np.isfinite(values), values, np.nan).astype(np.float32)
