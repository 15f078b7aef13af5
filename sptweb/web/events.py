"""The `events` blueprint: Server-Sent Events that tell pages which fragments to re-fetch.

`/events` sends `runs-changed` when the run table would look different;
`/events?run=ID` (repeatable, for a compare page) sends `run-changed` (the
metadata of one of those runs changed) and `run-files` (its metrics, media or
heartbeat grew). Pages re-fetch their own
fragments on these events (htmx SSE extension) and poll as a fallback.
"""

from __future__ import annotations

import threading
import time

from flask import Blueprint, Response, current_app, request

from ..scan import ChangeFeed, ChangeSet
from .current import get_scanner, settings

bp = Blueprint("events", __name__)

RETRY_MS = 3000  # how soon a browser reconnects after a stream's lifetime ends


class StreamSlots:
    """Caps live streams: each holds a server thread for its whole life."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.active = 0

    def acquire(self, limit: int) -> bool:
        with self._lock:
            if self.active >= limit:
                return False
            self.active += 1
            return True

    def release(self) -> None:
        with self._lock:
            self.active -= 1


def _slots() -> StreamSlots:
    """This app's stream counter (one per app, so test apps never share a cap)."""
    return current_app.extensions.setdefault("sptweb.sse_slots", StreamSlots())


@bp.get("/events")
def stream():
    """An SSE stream of change events; 204 (polling fallback) when too many are open."""
    config, slots = settings(), _slots()
    if not slots.acquire(config.max_sse_streams):
        return Response(status=204)  # per the SSE spec the browser stops; pages keep polling
    run_ids = frozenset(request.args.getlist("run"))
    body = _event_lines(get_scanner().feed, run_ids, config.sse_lifetime, config.sse_keepalive)
    response = Response(body, mimetype="text/event-stream")
    response.headers["Cache-Control"] = "no-cache"
    response.headers["X-Accel-Buffering"] = "no"  # a reverse proxy must not buffer the stream
    response.call_on_close(_once(slots.release))
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


def _once(action):
    """Wrap `action` so a second call does nothing (close can be called twice)."""
    done = threading.Event()

    def call() -> None:
        if not done.is_set():
            done.set()
            action()

    return call
