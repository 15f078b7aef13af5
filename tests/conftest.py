"""Fixtures: real run trees in tmp_path, an app whose scanner is driven synchronously."""
from __future__ import annotations

import json
import os
import time
from pathlib import Path

import pytest

from sptweb import create_app
from sptweb.scanner import scanner

NOW = time.time()


def write_sidecar(run_dir: Path, content) -> None:
    """Write a sidecar the way the trainer does: temp file, then atomic rename."""
    raw = content if isinstance(content, bytes) else json.dumps(content).encode()
    tmp = run_dir / f".sidecar.json.{os.getpid()}.tmp"
    tmp.write_bytes(raw)
    os.replace(tmp, run_dir / "sidecar.json")


@pytest.fixture
def runs_root(tmp_path: Path) -> Path:
    root = tmp_path / "runs"
    root.mkdir()
    return root


@pytest.fixture
def make_run(runs_root: Path):
    """make_run("proj/1_0/run", status="running", heartbeat_age=10, hparams={...}) -> run dir."""

    def make(run_id: str, *, raw: bytes | None = None, heartbeat_age: float | None = None, metrics: str | None = None, **fields) -> Path:
        run_dir = runs_root / run_id
        run_dir.mkdir(parents=True, exist_ok=True)
        sidecar = {
            "schema_version": 1,
            "run_id": run_id.replace("/", "-")[-8:],
            "run_dir": str(run_dir),
            "status": "completed",
            "created_at": NOW - 3600,
            "ended_at": NOW - 60,
            "updated_at": NOW - 60,
            "tags": [],
            "notes": "",
            "hparams": {},
            "summary": {},
            "checkpoint_path": None,
        }
        sidecar.update(fields)
        write_sidecar(run_dir, raw if raw is not None else sidecar)
        if heartbeat_age is not None:
            beat = run_dir / "heartbeat"
            beat.touch()
            os.utime(beat, (NOW - heartbeat_age, NOW - heartbeat_age))
        if metrics is not None:
            (run_dir / "metrics.csv").write_text(metrics)
        return run_dir

    return make


@pytest.fixture
def app(runs_root: Path, tmp_path: Path):
    app = create_app(
        {"runs_dir": str(runs_root), "start_scanner": False, "index_cache_dir": str(tmp_path / "cache"), "auth": False}
    )
    yield app
    scanner.stop()


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def scan(app):
    """Run one synchronous scan, as the scanner thread would."""
    return scanner.scan_once
