"""Chart options as they live in a page URL (run page and compare page share them).

Pages read them leniently (a bad value falls back to its default, the page
still renders); charts.js writes them back as the user changes controls.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from ..metrics.smoothing import MAX_WEIGHT


@dataclass(frozen=True)
class ChartState:
    x: str = "step"
    logy: bool = False
    smooth: float = 0.0
    smooth_mode: str = "ema"
    xmin: float | None = None
    xmax: float | None = None
    metric_filter: str = ""

    @classmethod
    def from_args(cls, args) -> ChartState:
        return cls(
            x=args.get("x") if args.get("x") in ("step", "epoch", "wall") else "step",
            logy=args.get("logy") == "1",
            smooth=min(MAX_WEIGHT, max(0.0, _number(args.get("smooth")) or 0.0)),
            smooth_mode="time" if args.get("smooth_mode") == "time" else "ema",
            xmin=_number(args.get("xmin")),
            xmax=_number(args.get("xmax")),
            metric_filter=args.get("mf", "").strip(),
        )


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
