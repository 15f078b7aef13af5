"""From a run's parsed metrics to what one chart needs: sorted, smoothed, ranged, downsampled."""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass

import numpy as np

from . import downsample
from .growable import GrowableArray
from .smoothing import Smoother, per_point_weight
from .store import DERIVED_ENTRIES, RunMetrics


@dataclass(frozen=True)
class SeriesRequest:
    """What a chart asks for; validated by the view before it gets here."""

    x_mode: str = "step"  # step | epoch | wall (event files' wall time) | relative (seconds since the first row)
    points: int = 800  # chart width in pixels
    smooth: float = 0.0  # EMA weight, 0 = off
    smooth_mode: str = "ema"  # ema | time
    xmin: float | None = None
    xmax: float | None = None
    after: float | None = None  # live updates: only points with x > after


def series_payload(metrics: RunMetrics, key: str, request: SeriesRequest) -> dict:
    """One metric's JSON-ready columns (numpy arrays; orjson turns NaN into null)."""
    x, y, smoothed, stats = full_resolution(metrics, key, request)
    lo, hi = _range(x, request)
    x, y = x[lo:hi], y[lo:hi]
    smoothed = smoothed[lo:hi] if smoothed is not None else None
    chosen = downsample.select(x, y, request.points)
    payload = {
        "x": x[chosen.indices],
        "y": y[chosen.indices],
        "count": len(chosen.indices),
        "downsampled": chosen.downsampled,
        **stats,
    }
    if smoothed is not None:
        payload["smooth"] = smoothed[chosen.indices].astype(np.float32)  # float32: short JSON numbers
    if chosen.downsampled:
        payload["min"], payload["max"] = chosen.bucket_min, chosen.bucket_max
    return payload


def full_resolution(metrics: RunMetrics, key: str, request: SeriesRequest):
    """(x sorted, y, smoothed or None) at full resolution.

    Under the run's lock: a consistent view while an append may be running, and
    concurrent requests for the same series compute it once.
    """
    with metrics.lock:
        series = metrics.derived.get((key, request.x_mode))
        if series is None:
            series = metrics.derived[(key, request.x_mode)] = SortedSeries(metrics.growing)
            while len(metrics.derived) > DERIVED_ENTRIES:
                metrics.derived.popitem(last=False)
        metrics.derived.move_to_end((key, request.x_mode))
        series.update(metrics, key, request.x_mode)
        weight = per_point_weight(request.smooth, len(series.x.view()))
        smoothed = series.smoothed(weight, request.smooth_mode) if request.smooth > 0 else None
        return series.x.view(), series.y.view(), smoothed, series.stats()


class SortedSeries:
    """One metric's points in x order, extended in place as rows are appended.

    Appends with growing x (the normal case) cost O(new points), smoothing
    included; a step logged out of order (a requeued run) triggers one re-sort.
    """

    SMOOTHINGS_KEPT = 3  # a slider asks for many weights; keep the latest few

    def __init__(self, growing: bool = False) -> None:
        self.growing = growing
        self.consumed = 0  # raw points (in file order) already taken in
        self.x = GrowableArray(np.float64, growing=growing)
        self.y = GrowableArray(np.float64, growing=growing)
        self._low, self._high, self._nonfinite = np.inf, -np.inf, 0  # running stats, for panel headers
        self._smoothings: OrderedDict[tuple[float, str], tuple[Smoother, GrowableArray]] = OrderedDict()

    def update(self, metrics: RunMetrics, key: str, x_mode: str) -> None:
        """Take in the points appended since the last update (only those are read)."""
        total = metrics.point_count(key)
        if total == self.consumed:
            return
        new_x, new_y = metrics.raw(key, x_mode, start=self.consumed)
        self.consumed = total
        has_x = ~np.isnan(new_x)
        new_x, new_y = new_x[has_x], new_y[has_x]
        if len(new_x) == 0:
            return
        if _continues(self.x.view(), new_x):
            self._extend(new_x, new_y)
        else:
            self._rebuild(*metrics.raw(key, x_mode))

    def _extend(self, new_x: np.ndarray, new_y: np.ndarray) -> None:
        self.x.extend(new_x)
        self.y.extend(new_y)
        self._take_stats(new_y)
        for smoother, smoothed in self._smoothings.values():
            smoothed.extend(smoother.extend(new_x, new_y))

    def _rebuild(self, raw_x: np.ndarray, raw_y: np.ndarray) -> None:
        has_x = ~np.isnan(raw_x)
        order = np.argsort(raw_x[has_x], kind="stable")
        self.x = GrowableArray(np.float64, raw_x[has_x][order], self.growing)
        self.y = GrowableArray(np.float64, raw_y[has_x][order], self.growing)
        self._low, self._high, self._nonfinite = np.inf, -np.inf, 0
        self._take_stats(self.y.view())
        self._smoothings.clear()

    def _take_stats(self, new_y: np.ndarray) -> None:
        finite = new_y[np.isfinite(new_y)]
        self._nonfinite += len(new_y) - len(finite)
        if len(finite):
            self._low, self._high = min(self._low, finite.min()), max(self._high, finite.max())

    def stats(self) -> dict:
        """Last, min and max over every point (finite ones for min and max), for the panel header."""
        x, y = self.x.view(), self.y.view()
        finite = np.isfinite(self._low)
        return {
            "raw_count": len(y),
            "last": float(y[-1]) if len(y) else None,
            "last_x": float(x[-1]) if len(x) else None,
            "min_value": float(self._low) if finite else None,
            "max_value": float(self._high) if finite else None,
            "nonfinite": self._nonfinite,
        }

    def smoothed(self, weight: float, mode: str) -> np.ndarray:
        key = (weight, mode)
        if key not in self._smoothings:
            smoother = Smoother(weight, mode)
            smoothed = smoother.extend(self.x.view(), self.y.view())
            self._smoothings[key] = (smoother, GrowableArray(np.float32, smoothed, self.growing))
            while len(self._smoothings) > self.SMOOTHINGS_KEPT:
                self._smoothings.popitem(last=False)
        self._smoothings.move_to_end(key)
        return self._smoothings[key][1].view()

    @property
    def nbytes(self) -> int:
        return self.x.nbytes + self.y.nbytes + sum(array.nbytes for _, array in self._smoothings.values())


def _continues(held: np.ndarray, new_x: np.ndarray) -> bool:
    """Do the new points extend the sorted series without re-sorting?"""
    if len(held) and new_x[0] < held[-1]:
        return False
    return len(new_x) < 2 or bool(np.all(np.diff(new_x) >= 0))


def _range(x: np.ndarray, request: SeriesRequest) -> tuple[int, int]:
    """Slice bounds of the requested x window (x is sorted)."""
    lo, hi = 0, len(x)
    if request.xmin is not None:
        lo = int(np.searchsorted(x, request.xmin, side="left"))
    if request.after is not None:
        lo = max(lo, int(np.searchsorted(x, request.after, side="right")))
    if request.xmax is not None:
        hi = int(np.searchsorted(x, request.xmax, side="right"))
    return lo, max(lo, hi)
