"""Keep the demo tree's running runs alive: append metrics, heartbeats and log lines."""

from __future__ import annotations

import json
import logging
import os
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from .curves import GRAD_NORM_KEY, Cadence, CurveModel, format_row
from .files import touch, write_json_atomic
from .logs import progress_line, stamp, submitit_log_path
from .replay import SPT_DIR, PacedReplayer

log = logging.getLogger(__name__)

STALE_AFTER = 300.0  # same threshold as docs/format.md: older heartbeats are left alone
ROWS_PER_TICK = 5  # train rows appended per run per tick
SIDECAR_EVERY = 10  # ticks between sidecar rewrites, like the writer's flush cadence
TAIL_BYTES = 64 * 1024  # enough for the last few hundred rows
SKIP_DIRS = {
    "media",
    "checkpoints",
    ".submitit",
    SPT_DIR,
    "lightning",
}  # no sidecars of ours there; spt runs are replayed


@dataclass
class LiveRun:
    """In-memory state of one running run; the CSV is never re-parsed."""

    run_dir: Path
    sidecar: dict[str, Any]
    header: list[str]
    model: CurveModel
    cadence: Cadence
    last_step: int
    log_path: Path | None
    rng: np.random.Generator
    needs_newline: bool = False
    ticks: int = 0

    @property
    def metrics_path(self) -> Path:
        """The run's metrics.csv."""
        return self.run_dir / "metrics.csv"


def read_header(path: Path) -> list[str]:
    """Column names from the first line of a CSV."""
    with open(path, "rb") as f:
        return f.readline().decode("utf-8", "replace").rstrip("\r\n").split(",")


def read_last_step(path: Path, header: list[str]) -> tuple[int, bool]:
    """(step of the last complete row, whether the file lacks a final newline), from the tail only."""
    step_col = header.index("step")
    with open(path, "rb") as f:
        size = f.seek(0, os.SEEK_END)
        f.seek(max(0, size - TAIL_BYTES))
        lines = f.read().decode("utf-8", "replace").split("\n")
    # lines[0] is the header or a cut-off row; lines[-1] is "" or a half-written row.
    for line in reversed(lines[1:-1]):
        try:
            return int(float(line.split(",")[step_col])), lines[-1] != ""
        except (IndexError, ValueError):
            continue
    return -1, size > 0 and lines[-1] != ""


def _rank0_log(run_dir: Path, sidecar: dict[str, Any]) -> Path | None:
    hparams = sidecar["hparams"]
    sweeps = [tag.split(":", 1)[1] for tag in sidecar.get("tags", []) if tag.startswith("sweep:")]
    task = hparams.get("slurm.task_id")
    if sweeps and task is not None:
        output_dir = Path(hparams.get("output_dir") or run_dir.parent)
        path = submitit_log_path(output_dir, int(sweeps[0]), int(task), 0, "out")
        if path.exists():
            return path
    path = run_dir / "train.out"
    return path if path.exists() else None


def load_live_run(run_dir: Path, stale_after: float) -> LiveRun | None:
    """The run's state if its sidecar says running and its heartbeat is fresh, else None."""
    try:
        sidecar = json.loads((run_dir / "sidecar.json").read_text(encoding="utf-8"))
        if not isinstance(sidecar, dict) or sidecar.get("status") != "running":
            return None
        if time.time() - (run_dir / "heartbeat").stat().st_mtime > stale_after:
            return None
        header = read_header(run_dir / "metrics.csv")
        last_step, needs_newline = read_last_step(run_dir / "metrics.csv", header)
    except (OSError, ValueError):  # broken or vanished files: not a run we can drive
        return None
    hparams = sidecar["hparams"]
    return LiveRun(
        run_dir=run_dir,
        sidecar=sidecar,
        header=header,
        model=CurveModel.from_hparams(hparams),
        cadence=Cadence.from_hparams(hparams),
        last_step=last_step,
        log_path=_rank0_log(run_dir, sidecar),
        rng=np.random.default_rng(last_step + 1),
        needs_newline=needs_newline,
    )


def find_live_runs(root: Path, stale_after: float = STALE_AFTER) -> list[LiveRun]:
    """Walk ``root`` (not following symlinks) for running runs with a fresh heartbeat."""
    runs = []
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = sorted(d for d in dirnames if d not in SKIP_DIRS)
        if "sidecar.json" in filenames:
            try:
                run = load_live_run(Path(dirpath), stale_after)
            except Exception:  # e.g. hparams missing keys: skip that run only
                log.exception("cannot drive run %s", dirpath)
                continue
            if run is not None:
                runs.append(run)
    return runs


def _rows_for_steps(run: LiveRun, steps: np.ndarray) -> list[str]:
    """CSV lines for ``steps``: a train row each, plus a val row on val steps."""
    train = run.model.sample_train(steps, run.rng, GRAD_NORM_KEY in run.header)
    lines = []
    summary = run.sidecar.setdefault("summary", {})
    for i, step in enumerate(steps.tolist()):
        base = {"epoch": step // run.cadence.steps_per_epoch, "step": step}
        cells = {key: float(column[i]) for key, column in train.items()}
        lines.append(format_row(run.header, {**base, **cells}))
        if run.cadence.is_val_step(step):
            sampled = run.model.sample_val(np.array([step]), run.rng)
            val = {key: float(column[0]) for key, column in sampled.items()}
            lines.append(format_row(run.header, {**base, **val}))
            cells.update(val)
        summary.update(cells, epoch=float(base["epoch"]))
    return lines


def _write_sidecar(run: LiveRun, now: float) -> None:
    run.sidecar["updated_at"] = now
    write_json_atomic(run.run_dir / "sidecar.json", run.sidecar)


def _append(path: Path, text: str) -> None:
    # One write call of whole lines, so readers never see a line we split.
    with open(path, "a", encoding="utf-8") as f:
        f.write(text)


def advance_run(run: LiveRun, rows: int = ROWS_PER_TICK) -> bool:
    """Append one tick of training to the run; False once it has reached max_steps."""
    now = time.time()
    steps = run.last_step + run.cadence.log_every * np.arange(1, rows + 1)
    steps = steps[steps < run.model.max_steps]
    if len(steps):
        lines = _rows_for_steps(run, steps)
        _append(run.metrics_path, ("\n" if run.needs_newline else "") + "".join(lines))
        run.needs_newline, run.last_step = False, int(steps[-1])
        touch(run.run_dir / "heartbeat")
        if run.log_path is not None:
            summary = run.sidecar["summary"]
            values = {key: summary[key] for key in ("train/loss", "train/acc") if key in summary}
            epoch = run.last_step // run.cadence.steps_per_epoch
            _append(run.log_path, progress_line(now, epoch, run.last_step, run.model.max_steps, values))
    run.ticks += 1
    finished = run.last_step >= run.model.max_steps - 1
    if finished:  # what RegistryLogger.finalize does: terminal status, ended_at
        run.sidecar.update(status="completed", ended_at=now)
        if run.log_path is not None:
            _append(run.log_path, f"submitit INFO ({stamp(now)},000) - Job completed successfully\n")
    if finished or run.ticks % SIDECAR_EVERY == 0:
        _write_sidecar(run, now)
    return not finished


class LiveWriter:
    """Background thread that keeps the demo tree's fresh running runs training."""

    def __init__(
        self, root: Path, interval: float = 1.0, *, stale_after: float = STALE_AFTER, rows_per_tick: int = ROWS_PER_TICK
    ):
        self.root = Path(root)
        self.interval = interval
        self.stale_after = stale_after
        self.rows_per_tick = rows_per_tick
        self._runs: list[LiveRun] | None = None  # discovered lazily on the first tick
        self.replays: list[PacedReplayer] = []  # recorded real-writer runs, played at their own pace
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def tick(self) -> list[Path]:
        """Advance every live run once (synchronously); return the run dirs written."""
        with self._lock:
            if self._runs is None:
                self._runs = find_live_runs(self.root, self.stale_after)
            written, still_running = [], []
            for run in self._runs:
                try:
                    keep = advance_run(run, self.rows_per_tick)
                    written.append(run.run_dir)
                except Exception:  # one bad run must not stop the others
                    log.exception("live writer failed on %s", run.run_dir)
                    keep = True
                if keep:
                    still_running.append(run)
            self._runs = still_running
            for replay in self.replays:
                if replay.advance(time.time()):
                    written.append(replay.run_dir)
            return written

    def _loop(self) -> None:
        while not self._stop.wait(self.interval):
            try:
                self.tick()
            except Exception:  # never let the daemon thread die
                log.exception("live writer tick failed")

    def start(self) -> None:
        """Start the daemon thread (no-op if already running)."""
        if self._thread is not None and self._thread.is_alive():
            return
        self._stop.clear()
        self._thread = threading.Thread(target=self._loop, name="sptweb-demo-live", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        """Signal the thread to stop and wait for it."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join()
            self._thread = None
