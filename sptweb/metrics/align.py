"""Many runs on one chart: a shared x grid, so 200 overlaid runs stay light in a browser.

`overlay` snaps each run onto the same grid of 2 slots per pixel: per pixel
it keeps the run's min and max in the order they occurred, so spikes survive
and every run's column lines up with every other's (uPlot draws aligned
columns; 200 runs with their own x would mean a union of 600,000 x values).

`bands` aggregates runs per group on a common grid of x positions: each run
is linearly interpolated at every grid x inside its own logged range (so
sparse and unequally spaced steps weigh correctly), then mean, sample std,
min and max are taken over the runs present at that x.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

SLOTS_PER_BUCKET = 2


@dataclass(frozen=True)
class Grid:
    """`buckets` equal-width buckets spanning [lo, hi]."""

    lo: float
    hi: float
    buckets: int

    @property
    def width(self) -> float:
        return (self.hi - self.lo) / self.buckets if self.hi > self.lo else 1.0

    def slot_x(self) -> np.ndarray:
        """x of each slot: a quarter and three quarters into each bucket."""
        starts = self.lo + self.width * np.arange(self.buckets)
        return np.column_stack([starts + 0.25 * self.width, starts + 0.75 * self.width]).ravel()

    def centers(self) -> np.ndarray:
        return self.lo + self.width * (np.arange(self.buckets) + 0.5)


def grid_for(series: list[tuple[np.ndarray, np.ndarray]], buckets: int, lo=None, hi=None) -> Grid:
    """A grid over the union of the runs' x (or the requested window)."""
    firsts = [x[0] for x, _ in series if len(x)]
    lasts = [x[-1] for x, _ in series if len(x)]
    lo = lo if lo is not None else (min(firsts) if firsts else 0.0)
    hi = hi if hi is not None else (max(lasts) if lasts else 1.0)
    return Grid(float(lo), float(max(hi, lo)), buckets)


def overlay(x: np.ndarray, y: np.ndarray, grid: Grid) -> tuple[np.ndarray, np.ndarray]:
    """One run on the grid's slots: (values with NaN where no data, bool mask of NaN/Inf gaps)."""
    values = np.full(grid.buckets * SLOTS_PER_BUCKET, np.nan)
    gaps = np.zeros(grid.buckets * SLOTS_PER_BUCKET, dtype=bool)
    inside = (x >= grid.lo) & (x <= grid.hi)
    x, y = x[inside], y[inside]
    if len(x) == 0:
        return values, gaps
    bucket = np.minimum(((x - grid.lo) / grid.width).astype(np.int64), grid.buckets - 1)
    finite = np.isfinite(y)
    gaps[bucket[~finite] * SLOTS_PER_BUCKET + 1] = True
    y_f, bucket_f = y[finite].astype(np.float64), bucket[finite]
    if len(y_f) == 0:
        return values, gaps
    starts = np.flatnonzero(np.diff(bucket_f, prepend=-1))
    low_at = _arg_per_bucket(y_f, starts, np.minimum)
    high_at = _arg_per_bucket(y_f, starts, np.maximum)
    first, second = np.minimum(low_at, high_at), np.maximum(low_at, high_at)
    slots = bucket_f[starts] * SLOTS_PER_BUCKET
    values[slots] = y_f[first]
    values[slots + 1] = y_f[second]
    return values, gaps


def _arg_per_bucket(y: np.ndarray, starts: np.ndarray, reducer) -> np.ndarray:
    """Index of the first min (or max) in each bucket of a sorted-by-bucket array."""
    counts = np.diff(starts, append=len(y))
    extreme = reducer.reduceat(y, starts)
    owner = np.repeat(np.arange(len(starts)), counts)
    hits = np.flatnonzero(y == extreme[owner])
    first_hit = np.flatnonzero(np.diff(owner[hits], prepend=-1))
    return hits[first_hit]


@dataclass
class Band:
    """A group's aggregate at each grid x; NaN where no run of the group has data."""

    mean: np.ndarray
    std: np.ndarray
    low: np.ndarray
    high: np.ndarray
    count: np.ndarray  # runs contributing at each x


def bands(series: list[tuple[np.ndarray, np.ndarray]], grid_x: np.ndarray) -> Band:
    """Mean, sample std (0 with one run), min and max across runs at each grid x."""
    stacked = np.vstack([_resample(x, y, grid_x) for x, y in series]) if series else np.empty((0, len(grid_x)))
    present = ~np.isnan(stacked)
    count = present.sum(axis=0)
    total = np.where(present, stacked, 0.0).sum(axis=0)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = np.where(count > 0, total / np.maximum(count, 1), np.nan)
        squares = np.where(present, (stacked - mean) ** 2, 0.0).sum(axis=0)
        std = np.where(count > 1, np.sqrt(squares / np.maximum(count - 1, 1)), np.where(count == 1, 0.0, np.nan))
    low = np.where(count > 0, np.where(present, stacked, np.inf).min(axis=0), np.nan)
    high = np.where(count > 0, np.where(present, stacked, -np.inf).max(axis=0), np.nan)
    return Band(mean, std, low, high, count)


def _resample(x: np.ndarray, y: np.ndarray, grid_x: np.ndarray) -> np.ndarray:
    """Linear interpolation of the run's finite points at grid_x, NaN outside its logged range."""
    finite = np.isfinite(y)
    x, y = x[finite], y[finite].astype(np.float64)
    out = np.full(len(grid_x), np.nan)
    if len(x) == 0:
        return out
    inside = (grid_x >= x[0]) & (grid_x <= x[-1])
    out[inside] = np.interp(grid_x[inside], x, y)
    return out
