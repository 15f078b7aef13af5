"""Which logged step the media views show, from the URL's `si` (slider index) or `step`."""

from __future__ import annotations


def chosen_step(steps: list[float], args) -> tuple[float | None, bool]:
    """The step from `si` or `step` (the latest at or before it), else the latest; and whether one was asked for."""
    if not steps:
        return None, False
    index = args.get("si", "")
    if index.isdigit():
        return steps[min(int(index), len(steps) - 1)], True
    try:
        wanted = float(args["step"])
    except (KeyError, ValueError):
        return steps[-1], False
    at_or_before = [step for step in steps if step <= wanted]
    return (at_or_before[-1] if at_or_before else steps[0]), True
