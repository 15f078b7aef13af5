"""Compare at scale: 200 runs x 100,000 points of one metric, overlaid and grouped into bands.

    python benchmarks/bench_compare.py [--runs 200] [--points 100000]

Prints figures; asserts nothing (see README for the latest numbers).
"""

from __future__ import annotations

import argparse
import json
import os
import tempfile
from pathlib import Path

import numpy as np
from common import timed

from sptweb import create_app
from sptweb.scan import scanner_of

SEEDS = 10  # runs per config: 200 runs = 20 configs x 10 seeds


def build(root: Path, runs: int, points: int) -> None:
    marker = root / f".built-{runs}-{points}"
    if marker.exists():
        return
    rng = np.random.default_rng(0)
    steps = np.arange(points)
    for index in range(runs):
        run_dir = root / f"sweep/{index:03d}"
        run_dir.mkdir(parents=True, exist_ok=True)
        lr = 10 ** -(1 + index // SEEDS % 20 / 5)
        sidecar = {"status": "completed", "hparams": {"optim.lr": lr, "seed": index % SEEDS}, "tags": ["sweep:1"]}
        (run_dir / "sidecar.json").write_text(json.dumps(sidecar))
        loss = 0.2 + 2 * np.exp(-steps * lr / 50) + rng.normal(0, 0.05, points)
        body = "\n".join(f"{step},{value:.5g}" for step, value in zip(steps.tolist(), loss.tolist()))
        (run_dir / "metrics.csv").write_text("step,train/loss\n" + body + "\n")
    marker.touch()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=200)
    parser.add_argument("--points", type=int, default=100_000)
    args = parser.parse_args()
    root = (
        Path(os.environ.get("SPTWEB_BENCH_DIR", tempfile.gettempdir()))
        / f"sptweb-bench-compare-{args.runs}x{args.points}"
    )
    build_time, _ = timed(lambda: build(root, args.runs, args.points))
    print(f"tree: {args.runs} runs x {args.points:,} points of train/loss (built/reused in {build_time:.1f} s)")
    app = create_app({"runs_dir": str(root), "start_scanner": False, "index_cache_dir": "", "auth": False})
    scanner = scanner_of(app)
    scanner.scan_once()
    client = app.test_client()
    overlay_url = "/api/compare?tag=sweep:1&key=train/loss&points=800"
    cold, response = timed(lambda: client.get(overlay_url))
    assert response.status_code == 200, response.text
    warm = min(timed(lambda: client.get(overlay_url))[0] for _ in range(3))
    grouped_url = overlay_url + "&group=-seed"
    grouped_first, grouped = timed(lambda: client.get(grouped_url))
    grouped_warm = min(timed(lambda: client.get(grouped_url))[0] for _ in range(3))
    smooth_first, _ = timed(lambda: client.get(overlay_url + "&smooth=0.9"))
    page, _ = timed(lambda: client.get("/compare?tag=sweep:1"))
    groups = len(grouped.json["groups"])
    print(f"overlay, cold (parses {args.runs} files): {cold:6.2f} s")
    print(
        f"overlay, warm:                        {warm * 1000:6.0f} ms   ({len(response.data) / 1024:.0f} KiB for {args.runs} runs x 1,600 slots)"
    )
    print(
        f"grouped bands (-seed), first / warm:  {grouped_first * 1000:6.0f} / {grouped_warm * 1000:.0f} ms   ({groups} groups, {len(grouped.data) / 1024:.0f} KiB)"
    )
    print(f"overlay with smoothing 0.9, first:    {smooth_first * 1000:6.0f} ms")
    print(f"compare page render:                  {page * 1000:6.0f} ms")
    print(f"metrics cache after the run:          {scanner.metrics.nbytes / 2**20:6.0f} MiB")


if __name__ == "__main__":
    main()
