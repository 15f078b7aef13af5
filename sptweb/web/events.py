"""The `events` blueprint: Server-Sent Events that tell pages which fragments to re-fetch.

`/events` sends `runs-changed` when the run table would look different;
`/events?run=ID` (repeatable, for a compare page) sends `run-changed` (the
metadata of one of those runs changed) and `run-files` (its metrics, media or
heartbeat grew). Pages re-fetch their own
fragments on these events (htmx SSE extension) and poll as a fallback.
"""

from __future__ import annotations

import time

from flask import Blueprint, Response, request

from ..scan import ChangeFeed, ChangeSet
from .current import get_scanner, settings
from .limits import once
from .limits import slots as stream_slots

bp = Blueprint("events", __name__)

RETRY_MS = 3000  # how soon a browser reconnects after a stream's lifetime ends


@bp.get("/events")
def stream():
    """An SSE stream of change events; 204 (polling fallback) when too many are open."""
    config, slots = settings(), stream_slots("sse")
    if not slots.acquire(config.max_sse_streams):
        return Response(status=204)  # per the SSE spec the browser stops; pages keep polling
    run_ids = frozenset(request.args.getlist("run"))
    body = _event_lines(get_scanner().feed, run_ids, config.sse_lifetime, config.sse_keepalive)
    response = Response(body, mimetype="text/event-stream")
    response.headers["Cache-Control"] = "no-cache"
    response.headers["X-Accel-Buffering"] = "no"  # a reverse proxy must not buffer the stream
    response.call_on_close(once(slots.release))
    return response


def _event_lines(feed: ChangeFeed, run_ids: frozenset[str], lifetime: float, keepalive: float):
    """Yield SSE text until the lifetime ends or the server shuts down."""
    version = feed.version
    deadline = time.monotonic() + lifetime
    yield f"retry: {RETRY_MS}\n: connected\n\n"
    while not feed.closed:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            return
        changes = feed.wait(version, min(keepalive, remaining))
        if not changes:
            yield ": keepalive\n\n"
            continue
        version = changes[-1].version
        for name in _event_names(changes, run_ids):
            yield f"event: {name}\ndata: {version}\n\n"


def _event_names(changes: list[ChangeSet], run_ids: frozenset[str]) -> list[str]:
    """Which events this listener gets for a batch of change sets."""
    if not run_ids:
        return ["runs-changed"] if any(change.table_changed for change in changes) else []
    names = []
    if any(change.meta_changed(run_id) for change in changes for run_id in run_ids):
        names.append("run-changed")
    if any(change.files_changed(run_id) for change in changes for run_id in run_ids):
        names.append("run-files")
    return names
