"""API: a run's media events, with a URL per file."""

from __future__ import annotations

from flask import url_for

from ...media import steps_of, tags_of
from .. import args
from ..current import get_scanner, run_or_404
from ..responses import json_response
from . import bp


@bp.get("/media")
def media():
    """Every event of media.jsonl in logged order; lines that are not events are counted."""
    run = run_or_404(args.required("run"))
    data = get_scanner().media.get(run.path, run.kind)
    events = [
        {
            "step": event.step,
            "tag": event.tag,
            "type": event.kind,
            "path": event.path,
            "caption": event.caption,
            "fps": event.fps,
            "format": event.format,
            "url": url_for("media.file", run=run.run_id, path=event.path),
        }
        for event in data.events
    ]
    return json_response(
        {
            "run": run.run_id,
            "events": events,
            "tags": tags_of(data.events),
            "steps": steps_of(data.events),
            "bad_lines": data.bad_lines,
        }
    )
