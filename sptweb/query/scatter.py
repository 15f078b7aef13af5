"""A server-drawn scatter of runs: any numeric hparam or summary value against another.

Plain SVG with one link per point: hover shows a card with the run and its two
values (CSS :hover; charts.js only lifts the hovered point above its neighbours),
click opens it. Log axes tick at powers of ten (1e-4, 1e-3 …) with faint minor
lines at 2…9 x 10^k; a log axis narrower than two decades ticks at 1, 2 and 5.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, replace

from ..scan.records import RunRecord, column_value

WIDTH, HEIGHT = 720, 420
MARGIN_LEFT, MARGIN_RIGHT, MARGIN_TOP, MARGIN_BOTTOM = 70, 20, 16, 44


CARD_LINE = 16  # px between the hover card's lines
CHAR_WIDTH = 7.2  # px per character of the card's monospace values: enough to size its box without measuring text
TITLE_CHAR_WIDTH = 8.0  # the run name, bold sans-serif: a little wider than most of its characters need


@dataclass(frozen=True)
class Card:
    """Where a point's hover card goes: beside the point, flipped to stay inside the plot."""

    x: float
    y: float
    width: float
    height: float


@dataclass(frozen=True)
class Point:
    cx: float
    cy: float
    run: RunRecord
    x: float
    y: float
    card: Card | None = None


@dataclass(frozen=True)
class Axis:
    ticks: list[tuple[float, str]]  # (pixel position, label)
    log: bool
    minor: list[float] = field(default_factory=list)  # pixel positions of unlabelled lines (log axes)


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
    points = [replace(point, card=_card(point, x_column, y_column)) for point in points]
    x_axis = Axis(x_scale.ticks(), x_log, x_scale.minor())
    y_axis = Axis(y_scale.ticks(), y_log, y_scale.minor())
    return ScatterPlot(points, x_axis, y_axis, len(runs) - len(values))


def card_lines(point: Point, x_column: str, y_column: str) -> list[str]:
    """The hover card's text: the run's name, then its value on each axis."""
    return [point.run.name, f"{x_column} = {point.x:.6g}", f"{y_column} = {point.y:.6g}"]


def _card(point: Point, x_column: str, y_column: str) -> Card:
    title, *values = card_lines(point, x_column, y_column)
    width = max(len(title) * TITLE_CHAR_WIDTH + 32, *(len(line) * CHAR_WIDTH + 20 for line in values))
    height = 3 * CARD_LINE + 12
    x = point.cx + 12 if point.cx + 12 + width <= WIDTH - 4 else point.cx - 12 - width
    y = point.cy - 12 - height if point.cy - 12 - height >= 2 else point.cy + 12
    return Card(max(2.0, x), min(y, HEIGHT - height - 2), width, height)


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
            return [(self(value), _log_label(value)) for value in self._log_ticks()]
        step = _nice_step((self.high - self.low) / 5)
        first = math.ceil(self.low / step) * step
        count = int((self.high - first) / step) + 1
        return [(self(first + i * step), f"{first + i * step:.6g}") for i in range(count)]

    def _log_ticks(self) -> list[float]:
        """Powers of ten inside the axis; with fewer than two of them, 1, 2 and 5 times powers of ten."""
        exponents = range(math.floor(self.low), math.ceil(self.high) + 1)
        inside = [10.0**e for e in exponents if self.low <= e <= self.high]
        if len(inside) >= 2:
            return inside
        return [m * 10.0**e for e in exponents for m in (1, 2, 5) if self.low <= math.log10(m * 10.0**e) <= self.high]

    def minor(self) -> list[float]:
        """A log axis's faint lines at 2…9 x 10^k (only where the labelled ticks are powers of ten)."""
        if not self.log or len(self._log_ticks()) > math.ceil(self.high) - math.floor(self.low) + 1:
            return []
        exponents = range(math.floor(self.low), math.ceil(self.high) + 1)
        values = [m * 10.0**e for e in exponents for m in range(2, 10)]
        return [self(value) for value in values if self.low <= math.log10(value) <= self.high]


def _log_label(value: float) -> str:
    """1e-4, 2e-4, 1e0, 1e3: the mantissa and the power of ten, the way sweeps write learning rates."""
    exponent = math.floor(math.log10(value) + 1e-9)
    return f"{round(value / 10.0**exponent, 6):g}e{exponent}"


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
