"""Shared by the logs API and the logs tab: the requested run and stream, or a clear 404."""

from __future__ import annotations

from flask import abort

from . import args
from .current import get_scanner, run_or_404


def stream_or_404(require_stream: bool = True):
    """(run, stream) named by `run=` and `stream=`; only discovered streams can be named."""
    run = run_or_404(args.required("run"))
    if not require_stream:
        return run, None
    stream_id = args.required("stream")
    stream = get_scanner().logs.find(run, stream_id)
    if stream is None:
        abort(404, description=f"run {run.run_id!r} has no log stream {stream_id[:80]!r}")
    return run, stream


def chunk_or_404(stream, offset: int | None = None, before: int | None = None):
    """Read the tail, the bytes after `offset`, or the window before `before`."""
    logs = get_scanner().logs
    try:
        if offset is not None:
            return logs.after(stream, offset)
        if before is not None:
            return logs.before(stream, before)
        return logs.tail(stream)
    except OSError as exc:
        abort(404, description=f"log {stream.id!r} is unreadable: {exc.strerror or exc}")
