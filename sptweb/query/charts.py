"""Chart options as they live in a page URL (run page and compare page share them).

Pages read them leniently (a bad value falls back to its default, the page
still renders); charts.js writes them back as the user changes controls.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

from ..metrics.smoothing import MAX_WEIGHT

X_MODES = ("step", "epoch", "wall", "relative")  # relative: seconds since the run's first point (needs wall times)
SIZES = ("s", "m", "l")  # panel size: up to 4, 3 or 2 panels a row (static/charts.css)

# Smoothing when the URL does not say (`smooth=` absent, `smooth=auto` to the API), per series, like
# TensorBoard's default of 0.6: a dense series (a point every few steps: train loss, accuracy) is
# noisy, and the smoothed line over a faint raw one shows its trend. A sparse one (validation once
# an epoch) is already a trend, and one named like val/test/eval is averaged over a whole set; a
# schedule (lr) or a counter (epoch) is exact, so EMA would only make it lag. Those stay raw.
AUTO_SMOOTH = 0.6
DENSE_POINTS = 200  # fewer points than this: sparse, drawn raw
_EXACT_NAME = re.compile(r"(^|[/_.\-])(val|valid|validation|test|eval|lr|learning_rate|epoch|step)([/_.\-]|$)", re.I)


def auto_smoothing(key: str, points: int) -> float:
    """The smoothing weight a series gets by default (see AUTO_SMOOTH)."""
    return AUTO_SMOOTH if points >= DENSE_POINTS and not _EXACT_NAME.search(key) else 0.0


@dataclass(frozen=True)
class ChartState:
    x: str = "step"
    logy: bool = False
    smooth: float | None = None  # None: automatic, per series (auto_smoothing)
    smooth_mode: str = "ema"
    xmin: float | None = None
    xmax: float | None = None
    metric_filter: str = ""
    size: str = "m"
    outliers: bool = False  # ignore outliers: the y range clipped to robust percentiles (charts.js)
    ymin: float | None = None  # a manual y range, either end optional
    ymax: float | None = None

    @classmethod
    def from_args(cls, args) -> ChartState:
        smooth = _number(args.get("smooth"))
        return cls(
            x=args.get("x") if args.get("x") in X_MODES else "step",
            logy=args.get("logy") == "1",
            smooth=None if smooth is None else min(MAX_WEIGHT, max(0.0, smooth)),
            smooth_mode="time" if args.get("smooth_mode") == "time" else "ema",
            xmin=_number(args.get("xmin")),
            xmax=_number(args.get("xmax")),
            metric_filter=args.get("mf", "").strip(),
            size=args.get("size") if args.get("size") in SIZES else "m",
            outliers=args.get("outliers") == "1",
            ymin=_number(args.get("ymin")),
            ymax=_number(args.get("ymax")),
        )

    @property
    def slider(self) -> float:
        """Where the smoothing slider starts: the automatic weight when the URL names none."""
        return AUTO_SMOOTH if self.smooth is None else self.smooth


# Panels opened on a page's first load: a run with 409 lr-*/pgN metrics draws one screen at once,
# and the rest load when their group is opened or the name filter finds them.
OPEN_PANELS = 24


def group_keys(keys: list[str]) -> list[tuple[str, list[str], bool]]:
    """Metric names grouped by their first `/` segment, in name order; plain names under "other".

    Each group comes with whether it starts open: groups open in order while
    they fit in OPEN_PANELS (a big one is skipped, smaller ones after it still
    open); when none fits, the first opens.
    """
    groups: dict[str, list[str]] = {}
    for key in sorted(keys):
        prefix = key.split("/", 1)[0] if "/" in key else "other"
        groups.setdefault(prefix, []).append(key)
    ordered = sorted(groups.items(), key=lambda item: (item[0] == "other", item[0]))
    opened, shown = [], 0
    for _, members in ordered:
        fits = shown + len(members) <= OPEN_PANELS
        opened.append(fits)
        shown += len(members) if fits else 0
    if ordered and not any(opened):
        opened[0] = True
    return [(prefix, members, is_open) for (prefix, members), is_open in zip(ordered, opened)]


def _number(raw: str | None) -> float | None:
    try:
        value = float(raw)
    except (TypeError, ValueError):
        return None
    return value if math.isfinite(value) else None
