"""A server-drawn scatter of runs: any numeric hparam or summary value against another.

Plain SVG with one link per point: hover shows the run (SVG <title>), click
opens it, and no JavaScript is needed.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from ..scan.records import RunRecord, column_value

WIDTH, HEIGHT = 720, 420
MARGIN_LEFT, MARGIN_RIGHT, MARGIN_TOP, MARGIN_BOTTOM = 70, 20, 16, 44


@dataclass(frozen=True)
class Point:
    cx: float
    cy: float
    run: RunRecord
    x: float
    y: float


@dataclass(frozen=True)
class Axis:
    ticks: list[tuple[float, str]]  # (pixel position, label)
    log: bool


@dataclass(frozen=True)
class ScatterPlot:
    points: list[Point]
    x_axis: Axis
    y_axis: Axis
    skipped: int  # runs without a numeric value on either axis (or non-positive on a log axis)
    width: int = WIDTH
    height: int = HEIGHT
    left: int = MARGIN_LEFT
    top: int = MARGIN_TOP
    right: int = WIDTH - MARGIN_RIGHT
    bottom: int = HEIGHT - MARGIN_BOTTOM


def numeric_columns(runs: list[RunRecord]) -> list[str]:
    """hp./sum. columns with a number for at least two runs: what can be scattered."""
    counts: dict[str, int] = {}
    for run in runs:
        for prefix, mapping in (("hp.", run.meta.hparams), ("sum.", run.meta.summary)):
            for key, value in mapping.items():
                if _number(value) is not None:
                    counts[prefix + key] = counts.get(prefix + key, 0) + 1
    return sorted(column for column, count in counts.items() if count >= 2)


def scatter(runs: list[RunRecord], x_column: str, y_column: str, x_log: bool, y_log: bool) -> ScatterPlot:
    """Place each run with numeric values on both axes."""
    values = []
    for run in runs:
        x, y = _number(column_value(run, x_column)), _number(column_value(run, y_column))
        if x is None or y is None or (x_log and x <= 0) or (y_log and y <= 0):
            continue
        values.append((run, x, y))
    x_scale = _Scale([x for _, x, _ in values], MARGIN_LEFT, WIDTH - MARGIN_RIGHT, x_log)
    y_scale = _Scale([y for _, _, y in values], HEIGHT - MARGIN_BOTTOM, MARGIN_TOP, y_log)
    points = [Point(x_scale(x), y_scale(y), run, x, y) for run, x, y in values]
    return ScatterPlot(points, Axis(x_scale.ticks(), x_log), Axis(y_scale.ticks(), y_log), len(runs) - len(values))


class _Scale:
    """Data -> pixels on one axis, with a little padding and readable ticks."""

    def __init__(self, data: list[float], start: float, end: float, log: bool) -> None:
        self.log, self.start, self.end = log, start, end
        transformed = [math.log10(value) if log else value for value in data] or [0.0, 1.0]
        low, high = min(transformed), max(transformed)
        pad = (high - low) * 0.06 or (abs(low) * 0.1 or 0.5)
        self.low, self.high = low - pad, high + pad

    def __call__(self, value: float) -> float:
        position = math.log10(value) if self.log else value
        return self.start + (position - self.low) / (self.high - self.low) * (self.end - self.start)

    def ticks(self) -> list[tuple[float, str]]:
        if self.log:
            exponents = range(math.ceil(self.low), math.floor(self.high) + 1)
            return [(self(10.0**exponent), f"1e{exponent}") for exponent in exponents]
        step = _nice_step((self.high - self.low) / 5)
        first = math.ceil(self.low / step) * step
        count = int((self.high - first) / step) + 1
        return [(self(first + i * step), f"{first + i * step:.6g}") for i in range(count)]


def _nice_step(raw: float) -> float:
    magnitude = 10 ** math.floor(math.log10(raw))
    for multiple in (1, 2, 5, 10):
        if raw <= multiple * magnitude:
            return multiple * magnitude
    return 10 * magnitude


def _number(value) -> float | None:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    return float(value) if math.isfinite(value) else None
