"""The `media` blueprint: media files of a run, and what the Media tab and compare media view show."""
from __future__ import annotations

import mimetypes
from dataclasses import dataclass

from flask import Blueprint, abort, request, send_file

from . import params
from .lookup import run_or_404
from .media import MediaEvent, items_at, steps_of, tags_of
from .scanner import scanner

bp = Blueprint("media", __name__)

CACHE_SECONDS = 365 * 24 * 3600  # file names carry the step, so a URL's bytes never change
EXTRA_TYPES = {".webm": "video/webm", ".mp4": "video/mp4", ".gif": "image/gif", ".webp": "image/webp", ".mov": "video/quicktime"}


@bp.get("/media/file")
def file():
    """One file under the run's media/ directory; Range requests let videos seek."""
    run = run_or_404(params.required("run"))
    relative = params.required("path")
    path = scanner.media.file_path(run.path, relative)
    if path is None:
        abort(404, description=f"no media file {relative[:200]!r} in run {run.run_id!r}")
    response = send_file(path, mimetype=_content_type(path), conditional=True, max_age=CACHE_SECONDS)
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Cache-Control"] = f"public, max-age={CACHE_SECONDS}, immutable"
    return response


def _content_type(path: str) -> str:
    suffix = "." + path.rsplit(".", 1)[-1].lower() if "." in path else ""
    return EXTRA_TYPES.get(suffix) or mimetypes.guess_type(path)[0] or "application/octet-stream"


@dataclass(frozen=True)
class TagPanel:
    tag: str
    step: float | None  # the step actually shown (at or before the chosen one)
    items: list[tuple[MediaEvent, bool]]  # (event, file exists)


def media_tab_context(run) -> dict:
    """Tags grouped by prefix, the step slider, and each tag's items at the chosen step."""
    media = scanner.media.get(run.path)
    steps = steps_of(media.events)
    step, explicit = chosen_step(steps)
    panels = [_panel(run, media.events, tag, step) for tag in tags_of(media.events)]
    groups: dict[str, list[TagPanel]] = {}
    for panel in panels:
        groups.setdefault(panel.tag.split("/", 1)[0] if "/" in panel.tag else "other", []).append(panel)
    return {
        "media_groups": sorted(groups.items()),
        "media_steps": steps,
        "media_step": step,
        "media_index": steps.index(step) if step in steps else 0,
        "media_follow_latest": not explicit,
        "media_bad_lines": media.bad_lines,
        "media_count": len(media.events),
    }


def chosen_step(steps: list[float]) -> tuple[float | None, bool]:
    """The step from `si` (slider index) or `step`, else the latest; and whether one was asked for."""
    if not steps:
        return None, False
    index = request.args.get("si", "")
    if index.isdigit():
        return steps[min(int(index), len(steps) - 1)], True
    try:
        wanted = float(request.args["step"])
    except (KeyError, ValueError):
        return steps[-1], False
    at_or_before = [step for step in steps if step <= wanted]
    return (at_or_before[-1] if at_or_before else steps[0]), True


def _panel(run, events: list[MediaEvent], tag: str, step: float) -> TagPanel:
    items = items_at(events, tag, step)
    return TagPanel(tag, items[0].step if items else None, [(item, scanner.media.exists(run.path, item.path)) for item in items])
