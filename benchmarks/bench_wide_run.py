"""A run with 1,000 metrics in a real browser: time until its first panels are drawn.

    python benchmarks/bench_wide_run.py [--metrics 1000] [--rows 2000]

Serves a sidecar run whose metrics.csv has that many columns (400 `lr-*/pgN`
and the rest spread over 30 prefixes), opens its metrics tab in headless
Chromium and prints when the first chart and the first screen of charts are
drawn. Needs Playwright and /usr/bin/chromium. Prints figures; asserts nothing.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "tests"))
from browser import chromium_page, live_server

from sptweb import create_app
from sptweb.scan import scanner_of


def write_run(root: Path, metrics: int, rows: int) -> None:
    run = root / "wide"
    run.mkdir(parents=True)
    (run / "sidecar.json").write_text(json.dumps({"status": "completed", "created_at": time.time()}))
    names = [f"lr-SGD/pg{index}" for index in range(min(400, metrics))]
    names += [f"group{index % 30}/metric{index}" for index in range(metrics - len(names))]
    with open(run / "metrics.csv", "w") as handle:
        handle.write("step," + ",".join(names) + "\n")
        for step in range(rows):
            handle.write(
                f"{step}," + ",".join(f"{(step * 7 + column) % 97 / 97:.4f}" for column in range(metrics)) + "\n"
            )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--metrics", type=int, default=1000)
    parser.add_argument("--rows", type=int, default=2000)
    args = parser.parse_args()
    root = Path(tempfile.mkdtemp(prefix="sptweb-bench-wide-"))
    write_run(root, args.metrics, args.rows)
    app = create_app({"runs_dir": str(root), "start_scanner": False, "index_cache_dir": "", "auth": False})
    scanner_of(app).scan_once()
    with live_server(app) as base, chromium_page(1600, 1000) as page:
        started = time.perf_counter()
        page.goto(base + "/run/wide?tab=metrics")
        page.wait_for_selector(".panel canvas")
        first = time.perf_counter() - started
        page.wait_for_function(
            "() => document.querySelectorAll('details[open] .panel canvas').length"
            " >= document.querySelectorAll('details[open] .panel').length"
        )
        screen = time.perf_counter() - started
        opened = page.evaluate("document.querySelectorAll('details[open] .panel').length")
        groups = page.evaluate("document.querySelectorAll('details.metric-group').length")
    print(
        f"{args.metrics} metrics x {args.rows} rows: first chart {first * 1000:.0f} ms, "
        f"all {opened} open panels drawn {screen * 1000:.0f} ms ({groups} groups, the rest closed)"
    )


if __name__ == "__main__":
    main()
