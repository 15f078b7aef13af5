"""The `logs` blueprint: fragments of the run page's Logs tab (earlier lines, new lines, search).

The tab itself is rendered by the run page; `logs_tab_context` builds what it needs.
"""
from __future__ import annotations

import re

from flask import Blueprint, render_template, request, stream_template, url_for

from .log_lookup import chunk_or_404, requested_int, stream_or_404
from .logs.reader import WINDOW
from .logs.render import render_line, render_lines
from .logs.search import compile_query
from .scanner import scanner

bp = Blueprint("logs", __name__, url_prefix="/logs")


def logs_tab_context(run) -> dict:
    """Streams, the chosen one (from `stream=` or `rank=`+`kind=`), and its tail (or the window at `at=`)."""
    streams = scanner.logs.streams(run)
    stream = _chosen_stream(run, streams)
    context = {"streams": streams, "stream": stream, "following": run.meta.status == "running"}
    if stream is None:
        return context
    at = requested_int("at")
    chunk = chunk_or_404(stream, before=at + WINDOW // 2 if at is not None else None)
    context.update(
        chunk=chunk,
        lines=render_lines(chunk.data),
        partial=render_line(chunk.partial.decode("utf-8", errors="replace")),
        ranks=sorted({s.rank for s in streams if s.rank is not None}),
    )
    return context


def _chosen_stream(run, streams):
    by_id = {stream.id: stream for stream in streams}
    wanted = request.args.get("stream")
    rank, kind = requested_int("rank"), request.args.get("kind", "out")
    if rank is not None:
        wanted = f"rank{rank}.{kind if kind in ('out', 'err') else 'out'}"
    if wanted in by_id:
        return by_id[wanted]
    preferred_kind = "err" if run.meta.status == "failed" else "out"
    return next((stream for stream in streams if stream.kind == preferred_kind), streams[0] if streams else None)


@bp.get("/before")
def before():
    """Lines before an offset, prepended by "Load earlier"."""
    run, stream = stream_or_404()
    chunk = chunk_or_404(stream, before=requested_int("before") or 0)
    return render_template("_log_before.html", run=run, stream=stream, chunk=chunk, lines=render_lines(chunk.data))


@bp.get("/after")
def after():
    """Only the bytes past the follower's offset, appended while a run trains."""
    run, stream = stream_or_404()
    offset = requested_int("after") or 0
    chunk = chunk_or_404(stream, offset=offset)
    body = render_template(
        "_log_after.html",
        run=run,
        stream=stream,
        chunk=chunk,
        old_end=offset,
        lines=render_lines(chunk.data),
        partial=render_line(chunk.partial.decode("utf-8", errors="replace")),
        following=run.meta.status == "running",
    )
    # A follower that fell far behind gets the fresh tail instead of the missed megabytes.
    return body, {"HX-Reswap": "innerHTML"} if chunk.skipped else {}


@bp.get("/search")
def search():
    """Matching lines over the whole file, streamed to the browser as they are found."""
    run, stream = stream_or_404()
    query = request.args.get("q", "").strip()
    if not query:
        return ""
    try:
        pattern = compile_query(query, regex=request.args.get("regex") == "1")
    except re.error as exc:  # tell the user; the page stays as it was
        return render_template("_log_search.html", error=f"bad regular expression: {exc}", matches=[], query=query)
    jump = url_for("runs.run_page", run_id=run.run_id, tab="logs", stream=stream.id)
    matches = ((match, render_line(match.text)) for match in scanner.logs.search(stream, pattern))
    return stream_template("_log_search.html", matches=matches, query=query, jump=jump, error=None)
