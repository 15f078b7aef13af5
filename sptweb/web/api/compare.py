"""API: one metric of many runs on one chart, overlaid or aggregated into group bands."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
from flask import abort, request

from ...metrics.align import bands, grid_for, overlay
from ...metrics.series import full_resolution
from ...query.charts import auto_smoothing
from ...query.colors import comparison_slots, slot, slot_color
from ...query.run_groups import group_runs, grouping_keys
from ...query.selection import select_runs
from .. import args
from ..current import get_scanner
from ..responses import json_response
from . import bp
from .metrics import series_request, smooth_is_auto

# Up to this many runs, a smoothed chart also gets each run's raw values, drawn faint behind the
# smoothed line (as on the run page); past it the faint lines would be a grey fog, and twice the bytes.
RAW_BEHIND_SMOOTH_RUNS = 20


@bp.get("/compare")
def compare():
    """Per-run columns on a shared x grid, or per-group mean and band with `group=`."""
    selection = select_runs(request.args, get_scanner().snapshot)
    if selection.error:
        abort(400, description=selection.error)
    if not selection.runs:
        abort(404, description="none of the requested runs exist")
    key = args.required("key")
    chart = series_request()
    band = args.choice("band", ("std", "minmax"))
    loaded = get_scanner().metrics.get_many([(run.path, run.is_running, run.kind) for run in selection.runs])
    if smooth_is_auto():  # one weight for the whole panel: the densest run decides
        counts = [metrics.point_count(key) for metrics in loaded]
        chart = replace(chart, smooth=auto_smoothing(key, max(counts, default=0)))
    curves, missing = _curves(selection.runs, loaded, key, chart)
    body = {"key": key, "x_mode": chart.x_mode, "missing": missing + selection.missing, "smooth_weight": chart.smooth}
    group_spec = request.args.get("group", "").strip()
    if group_spec:
        body.update(_grouped(selection.runs, curves, group_spec, band, chart))
    else:
        body.update(_overlaid(selection.runs, curves, chart))
    return json_response(body)


def _curves(runs, loaded, key: str, chart):
    """(run, x, y, raw y or None) per run that logs `key`, smoothed when asked; plus the ids that do not."""
    curves, missing = [], []
    for run, metrics in zip(runs, loaded):
        if key not in metrics.series or not metrics.has_x(chart.x_mode):
            missing.append(run.run_id)
            continue
        x, y, smoothed, _ = full_resolution(metrics, key, chart)
        curves.append((run, x, smoothed if smoothed is not None else y, y if smoothed is not None else None))
    return curves, missing


def _overlaid(runs, curves, chart) -> dict:
    """Each run's values on one shared grid, with its palette slot (its place in the comparison)."""
    slots = comparison_slots([run.run_id for run in runs])
    grid = grid_for([(x, y) for _, x, y, _ in curves], chart.points, chart.xmin, chart.xmax)
    with_raw = len(curves) <= RAW_BEHIND_SMOOTH_RUNS
    out = []
    for run, x, y, raw in curves:
        values, gaps = overlay(x, y, grid)
        entry = {
            "run_id": run.run_id,
            "name": run.name,
            "color_index": slots[run.run_id],
            "color": slot_color(slots[run.run_id]),
            "y": values.astype(np.float32),
            "gaps": np.flatnonzero(gaps),
            "last": float(y[-1]) if len(y) else None,
            "raw_count": len(y),
        }
        if raw is not None and with_raw:
            entry["raw"] = overlay(x, raw, grid)[0].astype(np.float32)
        out.append(entry)
    return {"x": grid.slot_x(), "runs": out}


def _grouped(all_runs, curves, group_spec: str, band: str, chart) -> dict:
    """Per group a mean and a band. Keys and colours come from every compared run, not only those
    that log this metric, so each panel names and colours a group the same way."""
    keys = grouping_keys(all_runs, group_spec)
    color_of = {group.label: slot(index) for index, group in enumerate(group_runs(all_runs, keys))}
    runs = [run for run, _, _, _ in curves]
    series_of = {run.run_id: (x, y) for run, x, y, _ in curves}
    grid = grid_for(list(series_of.values()), chart.points, chart.xmin, chart.xmax)
    grid_x = grid.centers()
    groups = []
    for group in group_runs(runs, keys):
        stats = bands([series_of[run.run_id] for run in group.runs], grid_x)
        low, high = (stats.mean - stats.std, stats.mean + stats.std) if band == "std" else (stats.low, stats.high)
        groups.append(
            {
                "label": group.label,
                "size": len(group.runs),
                "runs": [run.run_id for run in group.runs],
                "color_index": color_of[group.label],
                "color": slot_color(color_of[group.label]),
                "mean": stats.mean.astype(np.float32),
                "lo": low.astype(np.float32),
                "hi": high.astype(np.float32),
                "count": stats.count,
            }
        )
    return {"x": grid_x, "band": band, "group_keys": keys, "groups": groups}
