"""Fixtures: real run trees in tmp_path, an app whose scanner is driven synchronously."""

from __future__ import annotations

import importlib.util
import json
import os
import re
import time
from pathlib import Path

import frozen_guard  # noqa: F401 (first: before sptweb is imported)
import pytest
from browser import CHROMIUM, live_server
from flask.testing import FlaskClient

from sptweb import create_app
from sptweb.scan import scanner_of

NOW = time.time()


def pytest_collection_modifyitems(config, items):
    """Skip `browser` tests, saying why, where Chromium or Playwright is missing (never in CI)."""
    reason = _why_no_browser()
    if reason is None or os.environ.get("CI"):  # CI installs both: there a missing browser must fail
        return
    for item in items:
        if "browser" in item.keywords:
            item.add_marker(pytest.mark.skip(reason=reason))


def _why_no_browser() -> str | None:
    if not os.path.exists(CHROMIUM):
        return f"no Chromium at {CHROMIUM}: apt-get install chromium (see the README's test command)"
    if importlib.util.find_spec("playwright") is None:
        return "Playwright is not installed: pip install '.[test]'"
    return None


def write_sidecar(run_dir: Path, content) -> None:
    """Write a sidecar the way the trainer does: temp file, then atomic rename."""
    raw = content if isinstance(content, bytes) else json.dumps(content).encode()
    tmp = run_dir / f".sidecar.json.{os.getpid()}.tmp"
    tmp.write_bytes(raw)
    os.replace(tmp, run_dir / "sidecar.json")


def row_ids(html: str) -> list[str]:
    """The run ids of a table page's rows, in order."""
    return re.findall(r'data-run-id="([^"]+)"', html)


@pytest.fixture
def runs_root(tmp_path: Path) -> Path:
    root = tmp_path / "runs"
    root.mkdir()
    return root


@pytest.fixture
def make_run(runs_root: Path):
    """make_run("proj/1_0/run", status="running", heartbeat_age=10, hparams={...}) -> run dir."""

    def make(
        run_id: str,
        *,
        raw: bytes | None = None,
        heartbeat_age: float | None = None,
        metrics: str | None = None,
        **fields,
    ) -> Path:
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
def make_app(runs_root: Path, tmp_path: Path):
    """make_app(read_only=True, ...) -> an app on runs_root with its scanner thread off; stopped after the test."""
    apps, responses = [], []

    class ClosingClient(FlaskClient):
        """Closes its responses after the test: a file response left open holds its file (ResourceWarning)."""

        def open(self, *args, **kwargs):
            responses.append(super().open(*args, **kwargs))
            return responses[-1]

    def make(**overrides):
        settings = {
            "runs_dir": str(runs_root),
            "start_scanner": False,
            "index_cache_dir": str(tmp_path / "cache"),
            "auth": False,
        }
        apps.append(create_app({**settings, **overrides}))
        apps[-1].test_client_class = ClosingClient
        return apps[-1]

    yield make
    for response in responses:
        response.close()
    for made in apps:
        scanner_of(made).stop()  # ends open SSE streams too


@pytest.fixture
def app(make_app):
    return make_app()


@pytest.fixture
def scanner(app):
    """The app's scanner (drive it with scan_once; its thread is off)."""
    return scanner_of(app)


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def server(app):
    """The app served by a real waitress on a free loopback port: its base URL (browser tests)."""
    with live_server(app) as base_url:
        yield base_url


@pytest.fixture
def scan(scanner):
    """Run one synchronous scan, as the scanner thread would."""
    return scanner.scan_once
