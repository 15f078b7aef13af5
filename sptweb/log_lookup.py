"""Shared by the logs API and the logs tab: the requested run and stream, or a clear 404."""
from __future__ import annotations

from flask import abort, request

from . import params
from .lookup import run_or_404
from .scanner import scanner


def stream_or_404(require_stream: bool = True):
    """(run, stream) named by `run=` and `stream=`; only discovered streams can be named."""
    run = run_or_404(params.required("run"))
    if not require_stream:
        return run, None
    stream_id = params.required("stream")
    stream = scanner.logs.find(run, stream_id)
    if stream is None:
        abort(404, description=f"run {run.run_id!r} has no log stream {stream_id[:80]!r}")
    return run, stream


def chunk_or_404(stream, offset: int | None = None, before: int | None = None):
    """Read the tail, the bytes after `offset`, or the window before `before`."""
    try:
        if offset is not None:
            return scanner.logs.after(stream, offset)
        if before is not None:
            return scanner.logs.before(stream, before)
        return scanner.logs.tail(stream)
    except OSError as exc:
        abort(404, description=f"log {stream.id!r} is unreadable: {exc.strerror or exc}")


def requested_int(name: str) -> int | None:
    """A non-negative integer arg for page fragments; absent or bad means None."""
    raw = request.args.get(name, "")
    return int(raw) if raw.isdigit() else None
