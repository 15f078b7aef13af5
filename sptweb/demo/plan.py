"""What the demo tree contains: sweeps, per-run hparams, statuses and times."""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from typing import Any

import numpy as np

HOUR = 3600.0
ARRAY_PARALLELISM = 4  # SLURM `--array=0-N%4`: four tasks run at a time
SLOWEST_ITS_PER_SEC = 3.5
STALE_AGE = 2 * HOUR  # the stale run's last heartbeat, well past the 300 s threshold
ID_ALPHABET = np.array(list("abcdefghijklmnopqrstuvwxyz0123456789"))


@dataclass(frozen=True)
class Sweep:
    """One SLURM array job: a grid of hparams, one task per grid point."""

    job_id: int
    project: str
    tags: tuple[str, ...]
    model: str
    data: str
    batch_size: int
    steps_per_epoch: int
    max_epochs: int
    val_every: int
    started_hours_ago: float
    grid: dict[str, list[Any]]
    grad_norm: bool = False

    def grid_points(self) -> list[dict[str, Any]]:
        """Grid points in task-id order (last grid key varies fastest, so seeds are adjacent)."""
        keys = list(self.grid)
        return [dict(zip(keys, combo)) for combo in itertools.product(*self.grid.values())]


SWEEPS = (
    Sweep(
        4000001,
        "proj-vit",
        ("vit", "lr-sweep"),
        "vit",
        "cifar100",
        128,
        390,
        30,
        390,
        71,
        {"optim.lr": [3e-4, 1e-3, 3e-3], "model.depth": [6, 12], "model.width": [384], "seed": [0, 1]},
    ),
    Sweep(
        4000002,
        "proj-vit",
        ("vit", "width-sweep"),
        "vit",
        "cifar100",
        128,
        390,
        100,
        195,
        46,
        {"optim.lr": [1e-3], "model.depth": [12], "model.width": [192, 384, 768], "seed": [0, 1, 2]},
        grad_norm=True,
    ),
    Sweep(
        4000003,
        "proj-resnet",
        ("resnet", "baseline"),
        "resnet",
        "imagenet-100",
        256,
        495,
        40,
        495,
        9,
        {"optim.lr": [1e-4, 5e-4, 2e-3], "model.depth": [18], "model.width": [64], "seed": [0, 1, 2]},
    ),
)

# Hand-picked roles so every status and oddity appears exactly where a
# reviewer expects it; everything not listed is a plain completed run.
ROLES: dict[tuple[int, int], dict[str, Any]] = {
    (4000001, 0): {"media": "images"},
    (4000001, 3): {"media": "images", "run_logs": True, "display_name": "ViT-12 low-lr reference"},
    (4000001, 4): {"status": "failed", "progress": 0.35, "failure": "oom"},
    (4000001, 7): {"media": "images"},
    (4000001, 10): {"status": "failed", "progress": 0.6, "failure": "diverged"},
    (4000002, 1): {"media": "images"},
    (4000002, 2): {"quirk": "nan_spike"},
    (4000002, 4): {"media": "video"},
    (4000002, 5): {"status": "failed", "progress": 0.22, "failure": "nccl"},
    (4000002, 7): {"display_name": "ViT-768 best so far"},
    (4000002, 8): {"status": "orphaned", "progress": 0.55},
    (4000003, 1): {"quirk": "loss_spike"},
    (4000003, 5): {"status": "running", "progress": 0.45, "stale": True},
    (4000003, 6): {"status": "running", "progress": 0.62, "media": "images"},
    (4000003, 7): {"status": "running", "progress": 0.4, "run_logs": True},
    (4000003, 8): {"status": "running", "progress": 0.18},
}

NOTES = (
    "Baseline config from the paper, nothing tuned yet.",
    "Warmup looks too short; loss is bumpy for the first epoch.",
    "Compare against the bf16 run before trusting the numbers.",
    "Re-queued once after a node failure.",
    "Grad clipping at 1.0; see the grad_norm panel.",
)
FAILURE_NOTES = {
    "oom": "OOM on rank 2 at batch 128; retry with activation checkpointing.",
    "diverged": "Loss went NaN around 60% of training. lr 3e-3 is too hot for depth 12.",
    "nccl": "NCCL timeout on gpu-b-031, probably the flaky IB link again.",
}


@dataclass
class RunSpec:
    """Everything needed to write one run directory."""

    rel_output: str
    rel_run: str
    hparams: dict[str, Any]
    tags: list[str]
    status: str
    steps_done: int
    created_at: float
    updated_at: float
    ended_at: float | None
    writer_id: str
    notes: str
    display_name: str | None = None
    sweep_id: int | None = None
    task_id: int | None = None
    rng_seed: list[int] = field(default_factory=list)
    grad_norm: bool = False
    failure: str | None = None
    quirk: str | None = None
    media: str | None = None
    run_logs: bool = False


def _base_hparams(sweep: Sweep, point: dict[str, Any], task: int, rng: np.random.Generator) -> dict[str, Any]:
    hparams = {
        "seed": point["seed"],
        "data.name": sweep.data,
        "data.num_classes": 100,
        "data.batch_size": sweep.batch_size,
        "data.num_workers": 8,
        "model.name": f"{sweep.model}_d{point['model.depth']}",
        "model.depth": point["model.depth"],
        "model.width": point["model.width"],
        "optim.name": "AdamW",
        "optim.lr": point["optim.lr"],
        "optim.weight_decay": 0.05,
        "optim.betas.0": 0.9,
        "optim.betas.1": 0.999,
        "trainer.max_epochs": sweep.max_epochs,
        "trainer.max_steps": sweep.max_epochs * sweep.steps_per_epoch,
        "trainer.precision": "bf16-mixed",
        "trainer.devices": 4,
        "trainer.num_nodes": 1,
        "trainer.log_every_n_steps": 1,
        "trainer.val_check_interval": sweep.val_every,
        "trainer.gradient_clip_val": 1.0 if sweep.grad_norm else None,
        "slurm.job_id": f"{sweep.job_id}_{task}",
        "slurm.array_job_id": sweep.job_id,
        "slurm.task_id": task,
        "slurm.partition": "gpu",
        "slurm.nodelist": f"gpu-b-{int(rng.integers(1, 64)):03d}",
    }
    if sweep.model == "vit":
        hparams["model.patch_size"] = 4
    return hparams


def _writer_id(rng: np.random.Generator) -> str:
    return "".join(rng.choice(ID_ALPHABET, size=8))


def _times(
    role: dict[str, Any], start: float, steps_done: int, now: float, rng: np.random.Generator
) -> tuple[float, float, float | None]:
    """(created_at, updated_at, ended_at) consistent with status and speed."""
    elapsed = steps_done / rng.uniform(SLOWEST_ITS_PER_SEC, 6.0)
    status = role.get("status", "completed")
    if status == "running":
        updated = now - (STALE_AGE + rng.uniform(0, 300) if role.get("stale") else rng.uniform(2, 20))
        return updated - elapsed, updated, None
    created = start + rng.uniform(60, 240)  # job start plus model/data setup
    ended = created + elapsed if status in ("completed", "failed") else None
    return created, created + elapsed, ended


def _sweep_run(sweep: Sweep, task: int, point: dict[str, Any], seed: int, now: float) -> RunSpec:
    role = ROLES.get((sweep.job_id, task), {})
    rng = np.random.default_rng([seed, sweep.job_id, task])
    max_steps = sweep.max_epochs * sweep.steps_per_epoch
    slot = max_steps / SLOWEST_ITS_PER_SEC + 600
    start = now - sweep.started_hours_ago * HOUR + (task // ARRAY_PARALLELISM) * slot + rng.uniform(0, 90)
    steps_done = int(role.get("progress", 1.0) * max_steps)
    created, updated, ended = _times(role, start, steps_done, now, rng)
    failure = role.get("failure")
    notes = FAILURE_NOTES[failure] if failure else (NOTES[task % len(NOTES)] if rng.random() < 0.5 else "")
    output = f"{sweep.project}/{sweep.job_id}_{task}"
    return RunSpec(
        rel_output=output,
        rel_run=f"{output}/run",
        hparams=_base_hparams(sweep, point, task, rng),
        tags=[*sweep.tags, f"sweep:{sweep.job_id}"],
        status=role.get("status", "completed"),
        steps_done=steps_done,
        created_at=created,
        updated_at=updated,
        ended_at=ended,
        writer_id=_writer_id(rng),
        notes=notes,
        display_name=role.get("display_name"),
        sweep_id=sweep.job_id,
        task_id=task,
        rng_seed=[seed, sweep.job_id, task],
        grad_norm=sweep.grad_norm,
        failure=failure,
        quirk=role.get("quirk"),
        media=role.get("media"),
        run_logs=role.get("run_logs", False),
    )


def _debug_run(seed: int, now: float) -> RunSpec:
    """A standalone local run: no SLURM keys, logs only in the run dir."""
    rng = np.random.default_rng([seed, 1])
    hparams = {
        "seed": 0,
        "data.name": "cifar10",
        "data.num_classes": 10,
        "data.batch_size": 32,
        "model.name": "vit_tiny",
        "model.depth": 4,
        "model.width": 192,
        "optim.name": "AdamW",
        "optim.lr": 5e-4,
        "trainer.max_epochs": 8,
        "trainer.max_steps": 8 * 1563,
        "trainer.log_every_n_steps": 1,
        "trainer.val_check_interval": 1563,
        "trainer.devices": 1,
    }
    created = now - 20 * HOUR
    ended = created + hparams["trainer.max_steps"] / 9.0
    return RunSpec(
        rel_output="scratch/debug-local",
        rel_run="scratch/debug-local",
        hparams=hparams,
        tags=["debug", "vit"],
        status="completed",
        steps_done=hparams["trainer.max_steps"],
        created_at=created,
        updated_at=ended,
        ended_at=ended,
        writer_id=_writer_id(rng),
        notes="Quick local check that the data pipeline works end to end.",
        display_name="debug: tiny ViT on CIFAR-10",
        rng_seed=[seed, 1],
        run_logs=True,
    )


def plan_runs(seed: int, now: float) -> list[RunSpec]:
    """All run specs of the demo tree (sweep runs first, then the standalone run)."""
    runs = [
        _sweep_run(sweep, task, point, seed, now) for sweep in SWEEPS for task, point in enumerate(sweep.grid_points())
    ]
    return [*runs, _debug_run(seed, now)]
