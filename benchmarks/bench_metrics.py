"""Metrics at 1,000,000 rows x 10 metrics: cold and warm chart, bytes, appends, memory.

    python benchmarks/bench_metrics.py [--rows 1000000]

Prints figures; asserts nothing (see README for the latest numbers).
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, os.path.dirname(__file__))
from bigcsv import TRAIN_KEYS, VAL_KEYS, write_big_csv
from common import best_of, timed

from sptweb import create_app
from sptweb.metrics.store import RunMetrics
from sptweb.scan import scanner_of

CHART = "/api/metrics?run=big&keys=train/loss&points=800"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=1_000_000)
    args = parser.parse_args()
    source = write_big_csv(Path(tempfile.gettempdir()) / f"sptweb-bench-{args.rows}.csv", args.rows)
    root = Path(tempfile.mkdtemp(prefix="sptweb-bench-metrics-"))
    for name in ("big", "warmup"):
        (root / name).mkdir()
        (root / name / "sidecar.json").write_text('{"status": "running"}')
    shutil.copy(source, root / "big" / "metrics.csv")
    (root / "warmup" / "metrics.csv").write_text("step,loss\n0,1\n1,0.5\n")
    size_mb = (root / "big" / "metrics.csv").stat().st_size / 2**20
    print(f"metrics.csv: {args.rows:,} rows x {len(TRAIN_KEYS) + len(VAL_KEYS)} metrics, {size_mb:.0f} MiB")

    app = create_app({"runs_dir": str(root), "start_scanner": False, "index_cache_dir": "", "auth": False})

    scanner = scanner_of(app)
    scanner.scan_once()
    client = app.test_client()
    client.get("/api/metrics?run=warmup")  # first-request set-up is not the metric's cost

    parse_only = best_of(3, lambda: RunMetrics(str(root / "big")).refresh())
    cold, response = timed(lambda: client.get(CHART))
    warm = best_of(5, lambda: client.get(CHART))
    other = best_of(5, lambda: client.get(CHART.replace("train/loss", "val/acc")))
    every = timed(lambda: client.get("/api/metrics?run=big&points=800"))
    smooth_first, _ = timed(lambda: client.get(CHART + "&smooth=0.9"))
    smooth_warm = best_of(5, lambda: client.get(CHART + "&smooth=0.9"))
    zoom = best_of(5, lambda: client.get(CHART + "&xmin=400000&xmax=400500"))
    body = response.json["series"]["train/loss"]
    print(f"parse alone (pyarrow):       {parse_only * 1000:7.0f} ms")
    print(f"cold first chart:            {cold * 1000:7.0f} ms   (target < 500 ms)")
    print(f"warm chart:                  {warm * 1000:7.1f} ms   (target < 50 ms)")
    print(f"warm chart, sparse val key:  {other * 1000:7.1f} ms")
    print(f"all 10 keys in one request:  {every[0] * 1000:7.0f} ms   ({len(every[1].data) / 1024:.0f} KiB)")
    print(f"smoothing 0.9, first / warm: {smooth_first * 1000:7.0f} / {smooth_warm * 1000:.1f} ms")
    print(f"zoomed window (500 steps):   {zoom * 1000:7.1f} ms   (full resolution)")
    print(
        f"bytes per chart request:     {len(response.data):7,d}      ({body['count']} of {body['raw_count']:,} points, 800 px)"
    )

    path = root / "big" / "metrics.csv"
    last_x = body["last_x"]
    appended = _append_rows(path, args.rows, 100)
    refresh, _ = timed(lambda: scanner.metrics.get(str(root / "big")))  # stat + parse of the new bytes
    live, live_response = timed(lambda: client.get(CHART + f"&after={last_x}"))
    full_after, _ = timed(lambda: client.get(CHART))
    reparse = best_of(3, lambda: RunMetrics(str(root / "big")).refresh())
    new_points = live_response.json["series"]["train/loss"]["count"]
    print(
        f"100-row append, parse:       {refresh * 1000:7.2f} ms   ({appended:,} new bytes of {path.stat().st_size:,};"
        f" re-parsing the file: {reparse * 1000:.0f} ms)"
    )
    print(
        f"   live update (after=x):    {live * 1000:7.2f} ms   ({new_points} new points, sorted+smoothed caches extended)"
    )
    print(f"   full chart after append:  {full_after * 1000:7.1f} ms")
    memory = scanner.metrics.nbytes / 2**20
    print(f"resident arrays of the run:  {memory:7.0f} MiB  (incl. cached sorted/smoothed series)")


def _append_rows(path: Path, first_step: int, count: int) -> int:
    lines = [f"{(first_step + i) // 5000},{first_step + i},0.0001,0.3,0.9,1.0,2400,0.1,,,," for i in range(count)]
    text = "\n".join(lines) + "\n"
    with open(path, "a") as handle:
        handle.write(text)
    return len(text.encode())


if __name__ == "__main__":
    main()
