"""media.jsonl lines to typed events, and the questions the media tab asks of them."""

from __future__ import annotations

import json
import math
import os
from dataclasses import dataclass

# Used only when an event does not say its type: a GIF without one is an image.
VIDEO_EXTENSIONS = {"mp4", "webm", "ogg", "mov"}
IMAGE_EXTENSIONS = {"png", "jpg", "jpeg", "webp", "gif", "svg", "bmp"}


@dataclass(frozen=True)
class MediaEvent:
    """One logged item; `seq` is its line order, which orders items of one step."""

    seq: int
    step: float
    tag: str
    kind: str  # image | video | other
    path: str  # relative to the run dir, as written
    caption: str | None = None
    fps: float | None = None
    format: str | None = None


def parse_line(line: bytes, seq: int) -> MediaEvent | None:
    """One JSONL line, or None when it is not a usable event (the caller counts those)."""
    try:
        record = json.loads(line.decode("utf-8", errors="replace"))
    except (json.JSONDecodeError, RecursionError):
        return None
    if not isinstance(record, dict) or not isinstance(record.get("path"), str) or not record["path"]:
        return None
    step = record.get("step", 0)
    if isinstance(step, bool) or not isinstance(step, (int, float)) or not math.isfinite(step):
        return None
    path = record["path"]
    extension = os.path.splitext(path)[1].lower().lstrip(".")
    file_format = record.get("format") if isinstance(record.get("format"), str) else extension
    return MediaEvent(
        seq=seq,
        step=step,
        tag=record["tag"] if isinstance(record.get("tag"), str) and record["tag"] else "media",
        kind=_kind(record.get("type"), extension),
        path=path,
        caption=record["caption"] if isinstance(record.get("caption"), str) else None,
        fps=record["fps"]
        if isinstance(record.get("fps"), (int, float)) and not isinstance(record.get("fps"), bool)
        else None,
        format=file_format,
    )


def _kind(declared, extension: str) -> str:
    if declared in ("image", "video"):
        return declared
    if extension in VIDEO_EXTENSIONS:
        return "video"
    return "image" if extension in IMAGE_EXTENSIONS else "other"


def tags_of(events: list[MediaEvent]) -> list[str]:
    return sorted({event.tag for event in events})


def steps_of(events: list[MediaEvent], tag: str | None = None) -> list[float]:
    """Sorted distinct steps that have media (for one tag, or any)."""
    return sorted({event.step for event in events if tag is None or event.tag == tag})


def items_at(events: list[MediaEvent], tag: str, step: float) -> list[MediaEvent]:
    """The items of `tag` at the latest step at or before `step` (all of that step, in logged order)."""
    candidates = [event for event in events if event.tag == tag and event.step <= step]
    if not candidates:
        return []
    shown_step = max(event.step for event in candidates)
    return sorted((event for event in candidates if event.step == shown_step), key=lambda event: event.seq)
