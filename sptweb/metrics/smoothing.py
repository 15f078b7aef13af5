"""Smoothing on full-resolution data, before downsampling.

Mode `ema` is TensorBoard's debiased exponential moving average; mode `time`
decays by x distance (weight ** (dx / typical dx)), so uneven logging
intervals weigh points fairly. Non-finite points pass through unsmoothed
(they stay gaps) and are skipped by the average, as TensorBoard does.

A `Smoother` keeps the recurrence's state, so points appended while a run
trains are smoothed in time proportional to their number.
"""

from __future__ import annotations

import itertools

import numpy as np

MAX_WEIGHT = 0.999
# The block recurrence keeps each block's running product of decays above
# e**-BLOCK_LOG_SPAN so exp() never overflows (float64 reaches e**709).
BLOCK_LOG_SPAN = 600.0
MIN_LOG_DECAY = -50.0  # one step never decays by more than e**-50 (already negligible)
# Weights whose memory fades below float precision within this many points
# are computed as a short convolution instead, which is faster for them.
MAX_KERNEL = 64
NEGLIGIBLE_LOG = 37.0  # e**-37 < 1e-16


# TensorBoard smooths the ~1,000 points it samples of a series, so a weight of 0.6 means the same
# on a run of 1,000 steps as on one of a million. Smoothing here runs on every point (it must, to
# follow appends exactly), so the weight is spread over the points one chart point stands for.
SMOOTHING_RESOLUTION = 1000


def per_point_weight(weight: float, count: int) -> float:
    """The EMA weight per raw point that smooths `count` points as `weight` smooths ~1,000 of them.

    The stride is a power of two, so a growing run keeps its cached smoothing until it doubles.
    """
    stride = max(1, count // SMOOTHING_RESOLUTION)
    stride = 1 << (stride.bit_length() - 1)
    return weight ** (1.0 / stride) if 0.0 < weight < 1.0 else weight


class Smoother:
    """Debiased EMA over a growing series: `extend` smooths only the new points."""

    def __init__(self, weight: float, mode: str = "ema") -> None:
        self.weight, self.mode = weight, mode
        self._state = 0.0  # the un-debiased average so far
        self._log_total = 0.0  # log of the product of all decays so far
        self._last_x: float | None = None
        self._typical_gap: float | None = None  # frozen at the first extend (time mode)

    def extend(self, x: np.ndarray, y: np.ndarray) -> np.ndarray:
        """Smoothed values for the new points (x ascending, continuing the previous ones)."""
        y = np.asarray(y, dtype=np.float64)
        smoothed = y.copy()
        finite = np.isfinite(y)
        if self.weight <= 0 or not finite.any():
            return smoothed
        values = y[finite]
        log_decays = self._log_decays(np.asarray(x, dtype=np.float64)[finite])
        if self._log_total == 0.0 and self.mode == "ema" and _kernel_length(self.weight) <= MAX_KERNEL:
            smoothed[finite] = self._convolve(values)
        else:
            smoothed[finite], self._state, self._log_total = _block_recurrence(
                values, log_decays, self._state, self._log_total
            )
        return smoothed

    def _log_decays(self, xs: np.ndarray) -> np.ndarray:
        log_weight = np.log(self.weight)
        if self.mode != "time":
            return np.full(len(xs), log_weight)
        previous = self._last_x if self._last_x is not None else xs[0]
        gaps = np.diff(xs, prepend=previous)
        if self._typical_gap is None:
            positive = gaps[gaps > 0]
            self._typical_gap = float(np.median(positive)) if len(positive) else 1.0
        if self._last_x is None:
            gaps[0] = self._typical_gap  # the first point decays like any other
        self._last_x = float(xs[-1])
        return np.maximum(log_weight * (gaps / self._typical_gap), MIN_LOG_DECAY)

    def _convolve(self, values: np.ndarray) -> np.ndarray:
        """First batch of a fast-fading EMA: a truncated convolution, exact to float precision."""
        kernel = (1.0 - self.weight) * self.weight ** np.arange(_kernel_length(self.weight))
        log_totals = np.log(self.weight) * np.arange(1, len(values) + 1)
        raw = np.convolve(values, kernel)[: len(values)]
        self._state, self._log_total = float(raw[-1]), float(log_totals[-1])
        return raw / -np.expm1(log_totals)


def ema(y: np.ndarray, weight: float) -> np.ndarray:
    """Debiased EMA with a constant weight in [0, 0.999]."""
    return Smoother(weight, "ema").extend(np.arange(len(y), dtype=np.float64), y)


def time_weighted_ema(x: np.ndarray, y: np.ndarray, weight: float) -> np.ndarray:
    """EMA whose decay per point is weight ** (dx / typical dx)."""
    return Smoother(weight, "time").extend(x, y)


def _kernel_length(weight: float) -> int:
    return int(np.ceil(NEGLIGIBLE_LOG / -np.log(weight)))


def _block_recurrence(values: np.ndarray, log_decays: np.ndarray, state: float, log_start: float):
    """s_i = d_i s_(i-1) + (1 - d_i) v_i, debiased by 1 - prod(d); returns (smoothed, s_n, log prod).

    Vectorised per block: s_i = P_i (s_start + sum_j (1 - d_j) v_j / P_j), with
    P_i the running product of decays inside the block.
    """
    local_log = np.cumsum(log_decays)
    decays = np.exp(log_decays)
    block_of_point = np.floor(-local_log / BLOCK_LOG_SPAN)
    boundaries = [0, *(np.flatnonzero(np.diff(block_of_point)) + 1), len(values)]
    raw = np.empty(len(values))
    for start, stop in itertools.pairwise(boundaries):
        base = local_log[start - 1] if start else 0.0
        log_p = local_log[start:stop] - base
        weighted = (1.0 - decays[start:stop]) * values[start:stop] * np.exp(-log_p)
        raw[start:stop] = np.exp(log_p) * (state + np.cumsum(weighted))
        state = raw[stop - 1]
    log_totals = log_start + local_log
    debias = -np.expm1(log_totals)
    return raw / np.where(debias > 0, debias, 1.0), float(state), float(log_totals[-1])
