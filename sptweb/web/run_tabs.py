"""What each part of a run page needs: the header and the four tabs, one context builder each.

`PARTS` maps a part name to its template and builder, so a fragment request
(`part=`) builds only the part it asked for and the full page builds the
header and the one tab on screen.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

from flask import request

from ..logs.reader import WINDOW
from ..logs.render import render_line, render_lines
from ..media import MediaEvent, items_at, steps_of, tags_of
from ..query import table
from ..query.charts import ChartState, group_keys
from ..query.media_steps import chosen_step
from ..scan import RunRecord
from .args import lenient_int
from .current import get_scanner
from .log_access import chunk_or_404

TABS = ("metrics", "media", "logs", "config")


# Runs whose header says why they ended, from the end of their logs.
ENDED_BADLY = ("failed", "lost")


def header_context(run: RunRecord) -> dict:
    """What the run header needs, on the page and after an edit."""
    scanner = get_scanner()
    context = {"run": run, "now": time.time(), "all_tags": table.all_tags(scanner.snapshot)}
    if run.status in ENDED_BADLY:
        failure = scanner.logs.failure(run)
        context["failure"] = failure and {
            "stream": failure.stream,
            "lines": render_lines(failure.excerpt),
            "at": failure.offset,
        }
        context["places_looked"] = scanner.logs.places_looked(run) if failure is None else []
    return context


def metrics_context(run: RunRecord) -> dict:
    """Metric groups from the header (rows parse when charts ask), chart options from the URL."""
    metrics = get_scanner().metrics
    header = metrics.header(run.path, run.kind)
    events = metrics.get(run.path, kind=run.kind) if run.kind == "tensorboard" else None
    if header is not None and events is None:
        metrics.prefetch(run.path, run.is_running, run.kind)  # parses while the browser loads the page
    return {
        "metrics_note": events.warning if events is not None else None,
        "has_wall": events is not None and events.has_wall,
        "metric_groups": group_keys(sorted(header.metric_columns) if header else []),
        "has_epoch": header is not None and header.epoch_col is not None,
        "chart": ChartState.from_args(request.args),
    }


def config_context(run: RunRecord) -> dict:
    return {"key_filter": request.args.get("kf", "").strip()}


def logs_context(run: RunRecord) -> dict:
    """Streams, the chosen one (from `stream=` or `rank=`+`kind=`), and its tail (or the window at `at=`)."""
    streams = get_scanner().logs.streams(run)
    stream = _chosen_stream(run, streams)
    context = {"streams": streams, "stream": stream, "following": run.is_running}
    if stream is None:
        return context
    at = lenient_int("at")
    if at is None and run.status in ENDED_BADLY and "stream" not in request.args:
        failure = get_scanner().logs.failure(run)  # open where it says why the run ended
        if failure is not None and failure.offset is not None:
            stream, at = failure.stream, failure.offset
            context["stream"] = stream
    chunk = chunk_or_404(stream, before=at + WINDOW // 2 if at is not None else None)
    lines = render_lines(chunk.data)
    if at is not None:  # a window away from the tail: show the line, do not follow from here
        context.update(hit=_line_at(chunk, at), following=False, at_end=chunk.end >= chunk.size)
    context.update(
        chunk=chunk,
        lines=lines,
        partial=render_line(chunk.partial.decode("utf-8", errors="replace")),
        ranks=sorted({s.rank for s in streams if s.rank is not None}),
    )
    return context


def _line_at(chunk, offset: int) -> int | None:
    """Which of the chunk's lines holds byte `offset` of the file (None if the chunk does not)."""
    if not chunk.start <= offset < chunk.start + len(chunk.data):
        return None
    return chunk.data.count(b"\n", 0, offset - chunk.start)


def _chosen_stream(run: RunRecord, streams):
    by_id = {stream.id: stream for stream in streams}
    wanted = request.args.get("stream")
    rank, kind = lenient_int("rank"), request.args.get("kind", "out")
    if rank is not None:
        wanted = f"rank{rank}.{kind if kind in ('out', 'err') else 'out'}"
    if wanted in by_id:
        return by_id[wanted]
    preferred_kind = "err" if run.meta.status == "failed" else "out"
    return next((stream for stream in streams if stream.kind == preferred_kind), streams[0] if streams else None)


@dataclass(frozen=True)
class TagPanel:
    tag: str
    step: float | None  # the step actually shown (at or before the chosen one)
    items: list[tuple[MediaEvent, bool]]  # (event, file exists)


def media_context(run: RunRecord) -> dict:
    """Tags grouped by prefix, the step slider, and each tag's items at the chosen step."""
    media = get_scanner().media.get(run.path, run.kind)
    steps = steps_of(media.events)
    step, explicit = chosen_step(steps, request.args)
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


def _panel(run: RunRecord, events: list[MediaEvent], tag: str, step: float | None) -> TagPanel:
    items = items_at(events, tag, step) if step is not None else []
    media = get_scanner().media
    return TagPanel(
        tag, items[0].step if items else None, [(item, media.exists(run.path, item.path, run.kind)) for item in items]
    )


@dataclass(frozen=True)
class Part:
    template: str
    context: Callable[[RunRecord], dict]


PARTS = {
    "header": Part("_run_header.html", header_context),
    "metrics": Part("_run_metrics.html", metrics_context),
    "media": Part("_run_media.html", media_context),
    "logs": Part("_run_logs.html", logs_context),
    "config": Part("_run_config.html", config_context),
}
