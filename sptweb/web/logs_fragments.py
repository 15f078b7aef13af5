"""The `logs` blueprint: fragments of the run page's Logs tab (earlier lines, new lines, search).

The tab itself is rendered by the run page (`run_tabs.logs_context`).
"""

from __future__ import annotations

from flask import Blueprint, Response, render_template, request, stream_template, url_for

from ..logs.render import render_line, render_lines
from ..logs.search import PATTERN_ERRORS, SearchTimeout, compile_query
from .args import lenient_int
from .current import get_scanner
from .limits import MAX_SEARCHES, once, slots
from .log_access import chunk_or_404, stream_or_404

bp = Blueprint("logs", __name__, url_prefix="/logs")


@bp.get("/before")
def before():
    """Lines before an offset, prepended by "Load earlier"."""
    run, stream = stream_or_404()
    chunk = chunk_or_404(stream, before=lenient_int("before") or 0)
    return render_template("_log_before.html", run=run, stream=stream, chunk=chunk, lines=render_lines(chunk.data))


@bp.get("/after")
def after():
    """Only the bytes past the follower's offset, appended while a run trains."""
    run, stream = stream_or_404()
    offset = lenient_int("after") or 0
    chunk = chunk_or_404(stream, offset=offset)
    body = render_template(
        "_log_after.html",
        run=run,
        stream=stream,
        chunk=chunk,
        old_end=offset,
        lines=render_lines(chunk.data),
        partial=render_line(chunk.partial.decode("utf-8", errors="replace")),
        following=run.is_running,
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
    except PATTERN_ERRORS as exc:  # tell the user; the page stays as it was
        return render_template("_log_search.html", error=f"bad regular expression: {exc}", matches=[], query=query)
    searches = slots("search")
    if not searches.acquire(MAX_SEARCHES):
        busy = f"{MAX_SEARCHES} log searches are running; try again in a moment"
        return render_template("_log_search.html", error=busy, matches=[], query=query), 429
    jump = url_for("runs.run_page", run_id=run.run_id, tab="logs", stream=stream.id)
    outcome: dict = {}  # filled while the template streams: why the search stopped early, if it did
    matches = _rendered(get_scanner().logs.search(stream, pattern), outcome)
    body = stream_template("_log_search.html", matches=matches, query=query, jump=jump, error=None, outcome=outcome)
    response = Response(body, mimetype="text/html")
    response.call_on_close(once(searches.release))  # also when the client goes away mid-search
    return response


def _rendered(found, outcome: dict):
    """(match, its HTML) until the search ends or runs out of its time budget."""
    try:
        for match in found:
            yield match, render_line(match.text)
    except SearchTimeout as exc:
        outcome["stopped"] = str(exc)
