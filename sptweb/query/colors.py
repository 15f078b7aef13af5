"""Colours of runs and groups on charts: a categorical palette, one slot per compared run.

Lines must be told apart at a glance, so a comparison gives its runs the slots
of a qualitative palette in the order they are compared (Tableau 10, then ten
more from Tableau 20): the run list, the legends, the lines and the scatter
points of one comparison all use the same slot, and a run keeps it for as long
as the comparison's URL names the same runs. Past 20 runs the slots repeat.

Pages name a slot, not a colour (`series-3` classes, `color_index` in JSON): the
colour itself comes from the CSS variables `--series-0` … `--series-19` in
static/charts.css, which swap to the dark variant with the theme.
tests/test_charts_ui.py checks that charts.css holds exactly these values.
"""

from __future__ import annotations

import hashlib

# On a light background: Tableau 10 (its yellow darkened to read on white), then Tableau 20's other members.
PALETTE_LIGHT = (
    "#4e79a7",
    "#f28e2b",
    "#e15759",
    "#76b7b2",
    "#59a14f",
    "#d4a72c",
    "#b07aa1",
    "#ff9da7",
    "#9c755f",
    "#8f8782",
    "#499894",
    "#d37295",
    "#b6992d",
    "#79706e",
    "#86bcb6",
    "#a0cbe8",
    "#ffbe7d",
    "#8cd17d",
    "#ff9d9a",
    "#d4a6c8",
)

# The same hues lightened for a dark background (the dark blue and brown would sink into it).
PALETTE_DARK = (
    "#6f9bd1",
    "#f8a14a",
    "#f07173",
    "#8fd1cb",
    "#74c267",
    "#f1cf5b",
    "#c99bc0",
    "#ffb1b9",
    "#c49a7f",
    "#cfc7c3",
    "#5fb8b3",
    "#e68bab",
    "#d7bb48",
    "#a8a09e",
    "#9fd2cd",
    "#b6d8f2",
    "#ffcb95",
    "#a6df99",
    "#ffb4b1",
    "#e2bfd9",
)

SLOTS = len(PALETTE_LIGHT)
GOLDEN_ANGLE = 137.508  # successive hues this far apart stay distinguishable


def slot(index: int) -> int:
    """The palette slot of the index-th run (or group) of a comparison."""
    return index % SLOTS


def comparison_slots(run_ids: list[str]) -> dict[str, int]:
    """Each compared run's palette slot: its position in the comparison."""
    return {run_id: slot(index) for index, run_id in enumerate(run_ids)}


def slot_color(index: int) -> str:
    """The light-theme colour of a slot, for JSON readers that want a colour, not a slot."""
    return PALETTE_LIGHT[slot(index)]


def run_color(run_id: str) -> str:
    """A colour that depends on the run id alone (hash -> hue): for a run seen outside any comparison."""
    digest = int.from_bytes(hashlib.blake2s(run_id.encode("utf-8", "surrogateescape"), digest_size=4).digest(), "big")
    hue = (digest % 360 + (digest >> 9) % 7 * GOLDEN_ANGLE) % 360
    lightness = 38 + (digest >> 16) % 3 * 7  # three shades, so neighbours in hue still differ
    return f"hsl({hue:.0f}, 68%, {lightness}%)"
