"""API: metric series of one run, downsampled and smoothed on the server."""

from __future__ import annotations

import csv
import io
from dataclasses import replace
from urllib.parse import quote

from flask import Response, abort, request

from ...metrics.series import SeriesRequest, series_payload
from ...metrics.smoothing import MAX_WEIGHT
from ...query.charts import X_MODES, auto_smoothing
from .. import args
from ..current import get_scanner, run_or_404
from ..responses import json_response
from . import bp

MAX_POINTS = 10_000  # pixels; wider than any screen
MAX_KEYS = 200  # per request that names its keys; the page asks for 40 at a time, no `keys` means all


@bp.get("/metrics")
def metrics():
    """Columnar series per key: x, y (+ smooth, + bucket min/max when downsampled), raw counts."""
    run = run_or_404(args.required("run"))
    chart = series_request()
    data = get_scanner().metrics.get(run.path, growing=run.is_running, kind=run.kind)
    if not data.has_x(chart.x_mode):
        what = "no epoch column" if chart.x_mode == "epoch" else "no wall times (only event files have them)"
        abort(400, description=f"run {run.run_id!r} logs {what}; use x=step")
    keys = _requested_keys(data.keys, run.run_id)
    if args.choice("format", ("json", "csv")) == "csv":
        return _csv_download(data, keys, chart, run.run_id)
    return json_response(
        {
            "run": run.run_id,
            "x": chart.x_mode,
            "keys": data.keys,
            "rows": data.rows,
            "version": data.version,
            "warning": data.warning,  # what the file did that a reader should know (skipped headers, …)
            "series": {key: _payload(data, key, chart) for key in keys},
        }
    )


def _payload(data, key: str, chart: SeriesRequest) -> dict:
    """One series, smoothed by its own rule under `smooth=auto`; says which weight it got."""
    if smooth_is_auto():
        chart = replace(chart, smooth=auto_smoothing(key, data.point_count(key)))
    return {**series_payload(data, key, chart), "smooth_weight": chart.smooth}


def smooth_is_auto() -> bool:
    """`smooth=auto`: each series gets query/charts.py's default (0.6 on dense train series, else 0)."""
    return request.args.get("smooth") == "auto"


def series_request() -> SeriesRequest:
    """The chart options of an API request; under smooth=auto, `smooth` is 0 until a series' own rule sets it."""
    xmin, xmax = args.number("xmin"), args.number("xmax")
    if xmin is not None and xmax is not None and xmin > xmax:
        abort(400, description=f"xmin ({xmin}) must not exceed xmax ({xmax})")
    return SeriesRequest(
        x_mode=args.choice("x", X_MODES),
        points=args.integer("points", SeriesRequest.points, 10, MAX_POINTS),
        smooth=0.0 if smooth_is_auto() else args.number("smooth", 0.0, 0.0, MAX_WEIGHT),
        smooth_mode=args.choice("smooth_mode", ("ema", "time")),
        xmin=xmin,
        xmax=xmax,
        after=args.number("after"),
    )


def _requested_keys(available: list[str], run_id: str) -> list[str]:
    """The keys asked for (every metric when none are: never a 400 for that), known and at most MAX_KEYS."""
    keys = args.name_list("keys", available)
    if not keys:
        return available
    known = set(available)  # 100,000 columns: one set, not a list scan per key
    unknown = [key for key in keys if key not in known]
    if unknown:
        abort(404, description=f"run {run_id!r} has no metric {unknown[0]!r}")
    if len(keys) > MAX_KEYS:
        abort(400, description=f"at most {MAX_KEYS} keys per request, got {len(keys)}")
    return keys


def _csv_download(data, keys: list[str], chart: SeriesRequest, run_id: str) -> Response:
    """Full-resolution values (smoothing and downsampling off) as long-format CSV."""
    full = SeriesRequest(x_mode=chart.x_mode, points=10**9, xmin=chart.xmin, xmax=chart.xmax)
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["metric", chart.x_mode, "value"])
    for key in keys:
        payload = series_payload(data, key, full)
        writer.writerows((key, repr(float(x)), repr(float(y))) for x, y in zip(payload["x"], payload["y"]))
    name = run_id.replace("/", "_") + ("_" + keys[0].replace("/", "_") if len(keys) == 1 else "") + ".csv"
    return Response(out.getvalue(), mimetype="text/csv", headers={"Content-Disposition": attachment(name)})


def attachment(name: str) -> str:
    """RFC 6266/5987: an ASCII fallback, and the real (UTF-8) name for the browsers that read it."""
    fallback = "".join(char if char.isascii() and char.isprintable() and char not in '"\\' else "_" for char in name)
    return f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{quote(name, safe='')}"
