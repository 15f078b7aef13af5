"""A colour per run id that never changes: the same run looks the same on every page, every day."""

from __future__ import annotations

import hashlib

GOLDEN_ANGLE = 137.508  # successive hues this far apart stay distinguishable


def run_color(run_id: str) -> str:
    """A stable CSS colour for the run id (hash -> hue; fixed saturation and lightness)."""
    digest = int.from_bytes(hashlib.blake2s(run_id.encode("utf-8", "surrogateescape"), digest_size=4).digest(), "big")
    hue = (digest % 360 + (digest >> 9) % 7 * GOLDEN_ANGLE) % 360
    lightness = 38 + (digest >> 16) % 3 * 7  # three shades, so neighbours in hue still differ
    return f"hsl({hue:.0f}, 68%, {lightness}%)"


def group_color(index: int) -> str:
    """Colours for group lines, spread by the golden angle (groups have no stable id)."""
    return f"hsl({(index * GOLDEN_ANGLE + 210) % 360:.0f}, 70%, 42%)"
