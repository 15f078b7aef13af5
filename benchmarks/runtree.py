"""Build a synthetic tree of N finished runs (plus a few running) for the benchmarks."""

from __future__ import annotations

import json
import os
import random
import time
from pathlib import Path


def build_tree(root: Path, runs: int, seed: int = 0, lightning: bool = False) -> Path:
    """Write `runs` run dirs laid out like SLURM sweeps: <project>/<job>_<task>/run/. Reused if present.

    `lightning`: no sidecar, as Lightning's CSVLogger writes them (metrics.csv, hparams.yaml), last
    written two hours ago but for the running few.
    """
    marker = root / f".built-v2-{runs}"  # v2: finished runs ended hours to weeks ago, their files as old
    if marker.exists():
        return root
    rng = random.Random(seed)
    now = time.time()
    for index in range(runs):
        job, task = 4_000_000 + index // 100, index % 100
        run_dir = root / f"proj{index % 7}" / f"{job}_{task}" / "run"
        run_dir.mkdir(parents=True, exist_ok=True)
        running = index % 500 == 0
        created = now - rng.uniform(3 * 3600, 30 * 86400)
        ended = None if running else created + rng.uniform(600, 2 * 3600)
        sidecar = {
            "schema_version": 1,
            "run_id": f"{rng.getrandbits(32):08x}",
            "run_dir": str(run_dir),
            "status": "running" if running else rng.choice(["completed"] * 8 + ["failed"]),
            "created_at": created,
            "ended_at": ended,
            "updated_at": now if running else ended,
            "tags": [f"sweep:{job}", rng.choice(["vit", "resnet", "mae"])],
            "notes": "",
            "hparams": {
                "optim.lr": rng.choice([1e-4, 3e-4, 1e-3]),
                "model.depth": rng.choice([6, 12, 24]),
                "seed": task % 5,
                "slurm.task_id": task,
                "output_dir": str(run_dir.parent),
            },
            "summary": {"train/loss": rng.uniform(0.1, 2), "val/acc": rng.uniform(0.2, 0.9)},
            "checkpoint_path": None,
        }
        (run_dir / "metrics.csv").write_text("epoch,step,train/loss\n0,0,2.3\n")
        if lightning:
            hparams = "".join(f"{key}: {value}\n" for key, value in sidecar["hparams"].items())
            (run_dir / "hparams.yaml").write_text(hparams)
            if not running:
                for path in (run_dir / "metrics.csv", run_dir / "hparams.yaml", run_dir):
                    os.utime(path, (now - 7200, now - 7200))
            continue
        (run_dir / "sidecar.json").write_text(json.dumps(sidecar))
        (run_dir / "heartbeat").touch()
        if not running:  # a sweep of the past: its files and folders last changed when it ended
            for path in (*run_dir.iterdir(), run_dir, run_dir.parent):
                os.utime(path, (ended, ended))
    marker.touch()
    return root


def default_root(runs: int) -> Path:
    return Path(os.environ.get("SPTWEB_BENCH_DIR", "/tmp/sptweb-bench")) / f"tree-{runs}"
