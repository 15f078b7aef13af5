"""API: a run's log streams, read by offset, searched, downloaded."""

from __future__ import annotations

import os

import orjson
from flask import Response, abort, send_file

from ...logs.search import MAX_MATCHES, PATTERN_ERRORS, SearchTimeout, compile_query
from .. import args
from ..current import get_scanner
from ..limits import MAX_SEARCHES, once, slots
from ..log_access import chunk_or_404, stream_or_404
from ..responses import json_response
from . import bp


@bp.get("/logs")
def logs():
    """Every stream of the run: id, kind, rank, place, label, size, mtime."""
    run, _ = stream_or_404(require_stream=False)
    streams = get_scanner().logs.streams(run)
    return json_response({"run": run.run_id, "streams": [_stream_json(stream) for stream in streams]})


@bp.get("/log")
def log():
    """Bytes of one stream: the tail (no offset), from `offset`, or the window before `before`."""
    run, stream = stream_or_404()
    offset = args.integer("offset", -1, 0, 1 << 62)
    before = args.integer("before", -1, 0, 1 << 62)
    chunk = chunk_or_404(stream, offset=offset if offset >= 0 else None, before=before if before >= 0 else None)
    return json_response(
        {
            "run": run.run_id,
            "stream": stream.id,
            "start": chunk.start,
            "end": chunk.end,
            "next_offset": chunk.end,
            "size": chunk.size,
            "skipped": chunk.skipped,
            "text": chunk.data.decode("utf-8", errors="replace"),
            "partial": chunk.partial.decode("utf-8", errors="replace"),
        }
    )


@bp.get("/log/search")
def log_search():
    """Matching lines over the whole file, streamed as JSON lines, then a summary line."""
    _, stream = stream_or_404()
    pattern = _pattern()
    logs = get_scanner().logs
    limit = args.integer("max", MAX_MATCHES, 1, MAX_MATCHES)
    searches = slots("search")
    if not searches.acquire(MAX_SEARCHES):
        abort(429, description=f"{MAX_SEARCHES} log searches are running; try again in a moment")

    def lines():
        count, stopped = 0, None
        try:
            for match in logs.search(stream, pattern, limit):
                count += 1
                yield orjson.dumps({"line": match.line, "offset": match.offset, "text": match.text}) + b"\n"
        except OSError as exc:
            yield orjson.dumps({"error": f"log unreadable: {exc.strerror}"}) + b"\n"
        except SearchTimeout as exc:
            stopped = str(exc)
        yield (
            orjson.dumps(
                {"done": True, "matches": count, "truncated": count >= limit or stopped is not None, "stopped": stopped}
            )
            + b"\n"
        )

    response = Response(lines(), mimetype="application/x-ndjson")
    response.call_on_close(once(searches.release))  # also when the client goes away mid-search
    return response


@bp.get("/log/raw")
def log_raw():
    """The whole file as a download (streamed by the server, never read into memory)."""
    run, stream = stream_or_404()
    name = f"{run.run_id.replace('/', '_')}_{os.path.basename(stream.path)}"
    try:
        return send_file(stream.path, mimetype="text/plain", as_attachment=True, download_name=name, max_age=0)
    except OSError:
        abort(404, description=f"log {stream.id!r} vanished")


def _pattern():
    query = args.required("q")
    try:
        return compile_query(query, regex=args.choice("regex", ("0", "1")) == "1")
    except PATTERN_ERRORS as exc:
        abort(400, description=f"bad regular expression: {exc}")


def _stream_json(stream) -> dict:
    return {
        "id": stream.id,
        "kind": stream.kind,
        "rank": stream.rank,
        "place": stream.place,
        "label": stream.label,
        "size": stream.size,
        "mtime": stream.mtime,
    }
