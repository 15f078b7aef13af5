"""API: one metric of many runs on one chart, overlaid or aggregated into group bands."""

from __future__ import annotations

import numpy as np
from flask import abort, request

from ...metrics.align import bands, grid_for, overlay
from ...metrics.series import full_resolution
from ...query.colors import group_color, run_color
from ...query.run_groups import group_runs, grouping_keys
from ...query.selection import select_runs
from .. import args
from ..current import get_scanner
from ..responses import json_response
from . import bp
from .metrics import series_request


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
    curves, missing = _curves(selection.runs, key, chart)
    body = {"key": key, "x_mode": chart.x_mode, "missing": missing + selection.missing}
    group_spec = request.args.get("group", "").strip()
    if group_spec:
        body.update(_grouped(curves, group_spec, band, chart))
    else:
        body.update(_overlaid(curves, chart))
    return json_response(body)


def _curves(runs, key: str, chart):
    """(run, x, y) per run that logs `key`, smoothed when asked; plus the ids that do not."""
    curves, missing = [], []
    loaded = get_scanner().metrics.get_many([(run.path, run.is_running, run.kind) for run in runs])
    for run, metrics in zip(runs, loaded):
        if key not in metrics.series or not metrics.has_x(chart.x_mode):
            missing.append(run.run_id)
            continue
        x, y, smoothed, _ = full_resolution(metrics, key, chart)
        curves.append((run, x, smoothed if smoothed is not None else y))
    return curves, missing


def _overlaid(curves, chart) -> dict:
    grid = grid_for([(x, y) for _, x, y in curves], chart.points, chart.xmin, chart.xmax)
    runs = []
    for run, x, y in curves:
        values, gaps = overlay(x, y, grid)
        runs.append(
            {
                "run_id": run.run_id,
                "name": run.name,
                "color": run_color(run.run_id),
                "y": values.astype(np.float32),
                "gaps": np.flatnonzero(gaps),
                "last": float(y[-1]) if len(y) else None,
                "raw_count": len(y),
            }
        )
    return {"x": grid.slot_x(), "runs": runs}


def _grouped(curves, group_spec: str, band: str, chart) -> dict:
    runs = [run for run, _, _ in curves]
    keys = grouping_keys(runs, group_spec)
    series_of = {run.run_id: (x, y) for run, x, y in curves}
    grid = grid_for(list(series_of.values()), chart.points, chart.xmin, chart.xmax)
    grid_x = grid.centers()
    groups = []
    for index, group in enumerate(group_runs(runs, keys)):
        stats = bands([series_of[run.run_id] for run in group.runs], grid_x)
        low, high = (stats.mean - stats.std, stats.mean + stats.std) if band == "std" else (stats.low, stats.high)
        groups.append(
            {
                "label": group.label,
                "size": len(group.runs),
                "runs": [run.run_id for run in group.runs],
                "color": group_color(index),
                "mean": stats.mean.astype(np.float32),
                "lo": low.astype(np.float32),
                "hi": high.astype(np.float32),
                "count": stats.count,
            }
        )
    return {"x": grid_x, "band": band, "group_keys": keys, "groups": groups}
