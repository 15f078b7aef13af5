"""Write a realistic demo tree of run directories, following docs/format.md."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import numpy as np

from .curves import (
    Cadence,
    CurveModel,
    MetricTable,
    apply_quirk,
    build_table,
    last_values,
    metric_stats,
    table_to_csv,
)
from .files import set_mtime, touch, write_json_atomic
from .logs import write_run_dir_logs, write_submitit_logs
from .media import write_media
from .plan import RunSpec, plan_runs

SCHEMA_VERSION = 1
BROKEN_SIDECAR = '{"schema_version": 1, "status": "runn'  # writer killed mid-write, no rename-atomicity
CHECKPOINT_BYTES = b"demo checkpoint placeholder\n"


def make_sidecar(
    spec: RunSpec, run_dir: Path, hparams: dict[str, Any], summary: dict[str, float], checkpoint: Path | None
) -> dict[str, Any]:
    """The sidecar.json payload in docs/format.md field order."""
    sidecar = {
        "schema_version": SCHEMA_VERSION,
        "run_id": spec.writer_id,
        "run_dir": str(run_dir),
        "status": spec.status,
        "created_at": spec.created_at,
        "ended_at": spec.ended_at,
        "updated_at": spec.updated_at,
        "tags": spec.tags,
        "notes": spec.notes,
        "hparams": hparams,
        "summary": summary,
        "checkpoint_path": str(checkpoint) if checkpoint else None,
    }
    if spec.display_name:  # optional: most writers never set it
        sidecar["display_name"] = spec.display_name
    return sidecar


def _write_summary_json(spec: RunSpec, run_dir: Path, table: MetricTable) -> Path:
    path = run_dir / "summary.json"
    write_json_atomic(
        path,
        {
            "schema_version": SCHEMA_VERSION,
            "run_id": spec.writer_id,
            "run_dir": str(run_dir),
            "updated_at": spec.updated_at,
            "step": int(table.steps[-1]),
            "epoch": int(table.epochs[-1]),
            "metrics": metric_stats(table),
        },
    )
    return path


def _write_checkpoint(run_dir: Path, spec: RunSpec, cadence: Cadence) -> Path | None:
    epochs_done = spec.steps_done // cadence.steps_per_epoch
    if epochs_done == 0:
        return None
    path = run_dir / "checkpoints" / f"epoch={epochs_done - 1}-step={epochs_done * cadence.steps_per_epoch}.ckpt"
    path.parent.mkdir(exist_ok=True)
    path.write_bytes(CHECKPOINT_BYTES)
    return path


def _write_metrics(spec: RunSpec, run_dir: Path, model: CurveModel, cadence: Cadence) -> MetricTable:
    table = build_table(model, cadence, spec.steps_done, np.random.default_rng(spec.rng_seed), spec.grad_norm)
    apply_quirk(table, spec.quirk or spec.failure)
    (run_dir / "metrics.csv").write_text(table_to_csv(table), encoding="utf-8")
    return table


def _write_run(root: Path, spec: RunSpec) -> Path:
    output_dir, run_dir = root / spec.rel_output, root / spec.rel_run
    run_dir.mkdir(parents=True, exist_ok=True)
    hparams = {"output_dir": str(output_dir), **spec.hparams}
    model, cadence = CurveModel.from_hparams(hparams), Cadence.from_hparams(hparams)
    table = _write_metrics(spec, run_dir, model, cadence)
    checkpoint = _write_checkpoint(run_dir, spec, cadence)
    sidecar = make_sidecar(spec, run_dir, hparams, last_values(table), checkpoint)
    write_json_atomic(run_dir / "sidecar.json", sidecar)
    written = [run_dir / "metrics.csv", run_dir / "sidecar.json"]
    if spec.status == "completed":
        written.append(_write_summary_json(spec, run_dir, table))
    if spec.status == "orphaned":  # the writer died between tmp write and rename
        stray = run_dir / ".sidecar.json.9f3c2a1b.tmp"
        stray.write_text('{"schema_version": 1, "run_id": "' + spec.writer_id + '", "sta', encoding="utf-8")
    if spec.media:
        write_media(spec, run_dir)
    if spec.sweep_id is not None:
        write_submitit_logs(spec, output_dir, model)
        written += sorted((output_dir / ".submitit").iterdir())
    if spec.run_logs:
        write_run_dir_logs(spec, run_dir, model)
        written += [run_dir / "train.out", run_dir / "train.err"]
    touch(run_dir / "heartbeat", spec.updated_at)
    for path in written:  # files look last modified when the run last wrote
        set_mtime(path, spec.updated_at)
    return run_dir


def _write_broken_run(root: Path, now: float) -> Path:
    run_dir = root / "scratch" / "broken-run"
    run_dir.mkdir(parents=True, exist_ok=True)
    (run_dir / "sidecar.json").write_text(BROKEN_SIDECAR, encoding="utf-8")
    set_mtime(run_dir / "sidecar.json", now - 30 * 3600)
    return run_dir


def write_demo_tree(root: Path, *, seed: int = 0, now: float | None = None) -> list[Path]:
    """Write the demo run tree under ``root`` and return the run directories written."""
    now = time.time() if now is None else now
    root = Path(root).resolve()
    run_dirs = [_write_run(root, spec) for spec in plan_runs(seed, now)]
    run_dirs.append(_write_broken_run(root, now))
    return run_dirs
