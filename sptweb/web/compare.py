"""The `compare` blueprint: several runs side by side (overlaid charts, config diff, scatter)."""

from __future__ import annotations

import time
from collections import Counter

from flask import Blueprint, abort, render_template, request

from ..media import items_at
from ..query import scatter as scatter_plot
from ..query.charts import ChartState, group_keys
from ..query.colors import comparison_slots
from ..query.config_diff import diff_table
from ..query.media_steps import chosen_step
from ..query.run_groups import differing_hparams, group_runs, grouping_keys
from ..query.selection import select_runs
from .current import get_scanner

bp = Blueprint("compare", __name__)

VIEWS = ("charts", "diff", "scatter", "media")


@bp.get("/compare")
def page():
    """Compare the runs named in `runs=` (or matching the table's query args)."""
    selection = select_runs(request.args, get_scanner().snapshot)
    if selection.error:
        abort(400, description=selection.error)
    view = request.args.get("view") if request.args.get("view") in VIEWS else "charts"
    runs = selection.runs
    context = {
        "runs": runs,
        "missing": selection.missing,
        "view": view,
        "views": VIEWS,
        "selection_args": _selection_args(runs),
        # a palette slot per run, the same in the run list, the legends, the lines and the scatter; as a CSS
        # variable (static/charts.css), so swatches follow the theme: var() works in SVG fill attributes
        "colors": {
            run_id: f"var(--series-{index})" for run_id, index in comparison_slots([r.run_id for r in runs]).items()
        },
        "now": time.time(),
    }
    context.update(_VIEW_CONTEXT[view](runs))
    return render_template("compare.html", **context)


def _charts_context(runs) -> dict:
    metrics = get_scanner().metrics
    key_counts = Counter(key for run in runs for key in metrics.keys(run.path, run.kind))
    group_spec = request.args.get("group", "").strip()
    band = "minmax" if request.args.get("band") == "minmax" else "std"
    return {
        "chart": ChartState.from_args(request.args),
        "metric_groups": group_keys(list(key_counts)),
        "key_counts": key_counts,
        "group_spec": group_spec,
        "band": band,
        "differing": differing_hparams(runs),
        "has_wall": any(run.kind == "tensorboard" for run in runs),  # wall and relative time: event files only
        **_grouping(runs, group_spec, band),
    }


def _grouping(runs, group_spec: str, band: str) -> dict:
    """The groups of `group=`, said once above the panels (charts.js keeps it current as options change)."""
    if not group_spec:
        return {"groups": [], "group_note": ""}
    keys = grouping_keys(runs, group_spec)
    groups = group_runs(runs, keys)
    what = "mean ± std" if band == "std" else "min\u2013max"
    note = f"{len(groups)} group{'s' if len(groups) != 1 else ''} by {', '.join(keys) or 'nothing'} · band: {what}"
    return {"groups": groups, "group_note": note}


def _diff_context(runs) -> dict:
    hide_identical = request.args.get("same") != "1"
    hide_ids = request.args.get("ids") != "1"
    return {
        "diff": diff_table(runs, hide_identical, request.args.get("dsort", ""), time.time(), hide_ids),
        "hide_identical": hide_identical,
        "hide_ids": hide_ids,
    }


def _scatter_context(runs) -> dict:
    columns = scatter_plot.numeric_columns(runs)
    x_column = _column_arg("sx", columns, _first(columns, "hp."))
    y_column = _column_arg("sy", columns, _first(columns, "sum.val") or _first(columns, "sum."))
    x_log, y_log = request.args.get("sxlog") == "1", request.args.get("sylog") == "1"
    plot = scatter_plot.scatter(runs, x_column, y_column, x_log, y_log) if x_column and y_column else None
    return {"columns": columns, "sx": x_column, "sy": y_column, "sxlog": x_log, "sylog": y_log, "plot": plot}


def _media_context(runs) -> dict:
    """One tag, one step, every run side by side (each at its latest item at or before the step)."""
    media = get_scanner().media
    events = {run.run_id: media.get(run.path, run.kind).events for run in runs}
    tags = sorted({event.tag for run_events in events.values() for event in run_events})
    tag = request.args.get("tag") if request.args.get("tag") in tags else (tags[0] if tags else None)
    steps = sorted({event.step for run_events in events.values() for event in run_events if event.tag == tag})
    step, _ = chosen_step(steps, request.args)
    logged = [run for run in runs if any(event.tag == tag for event in events[run.run_id])]
    cells = [
        (run, [(item, media.exists(run.path, item.path, run.kind)) for item in items_at(events[run.run_id], tag, step)])
        for run in logged
    ]
    return {
        "media_tags": tags,
        "media_tag": tag,
        "media_steps": steps,
        "media_step": step,
        "media_index": steps.index(step) if step in steps else 0,
        "media_cells": cells,
        "media_without_tag": len(runs) - len(logged),  # a count, not a wall of empty tiles
    }


_VIEW_CONTEXT = {"charts": _charts_context, "diff": _diff_context, "scatter": _scatter_context, "media": _media_context}


def _selection_args(runs) -> dict:
    """Query args that name exactly these runs, for links between the views.

    Comma-joined when that is unambiguous (short, readable URLs), else repeated.
    """
    ids = [run.run_id for run in runs]
    return {"runs": ids if any("," in run_id for run_id in ids) else ",".join(ids)}


def _column_arg(name: str, columns: list[str], default: str | None) -> str | None:
    value = request.args.get(name)
    return value if value in columns else default


def _first(columns: list[str], prefix: str) -> str | None:
    return next((column for column in columns if column.startswith(prefix)), None)
