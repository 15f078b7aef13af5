"""Synthetic stdout/stderr logs: submitit per-rank logs and run-dir train logs."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from pathlib import Path

import numpy as np

from .curves import Cadence, CurveModel
from .plan import RunSpec

RANKS = 4
RANK0_EVERY = 10  # rank 0 is the verbose one: a progress line every 10 steps
OTHER_RANK_EVERY = 25
LOGURU_EVERY = 50  # stable-pretraining's loguru lines go to stderr
TQDM_UPDATES_PER_EPOCH = 10
GREEN, YELLOW, RED, BOLD, RESET = "\x1b[32m", "\x1b[33m", "\x1b[31m", "\x1b[1m", "\x1b[0m"
# Bytes that are not valid UTF-8 (latin-1 path, stray 0xff), as real logs get.
INVALID_UTF8_LINE = b"WARNING: skipping unreadable file /data/caf\xe9/img_\xff\xfe0001.jpg\n"

_LIGHTNING_FRAMES = (
    ("/home/demo/proj/train.py", 88, "main", "trainer.fit(module, datamodule=datamodule)"),
    (
        "/opt/venv/lib/python3.11/site-packages/lightning/pytorch/trainer/trainer.py",
        539,
        "fit",
        "call._call_and_handle_interrupt(",
    ),
    ("/opt/venv/lib/python3.11/site-packages/lightning/pytorch/loops/fit_loop.py", 205, "run", "self.advance()"),
    (
        "/opt/venv/lib/python3.11/site-packages/lightning/pytorch/loops/training_epoch_loop.py",
        250,
        "advance",
        "batch_output = self.automatic_optimization.run(trainer.optimizers[0], batch_idx, kwargs)",
    ),
)
_FAILURE_FRAMES = {
    "oom": (
        "/opt/venv/lib/python3.11/site-packages/torch/nn/functional.py",
        2573,
        "layer_norm",
        "return torch.layer_norm(input, normalized_shape, weight, bias, eps, torch.backends.cudnn.enabled)",
    ),
    "nccl": (
        "/opt/venv/lib/python3.11/site-packages/torch/distributed/distributed_c10d.py",
        2501,
        "all_reduce",
        "work = group.allreduce([tensor], opts)",
    ),
    "diverged": (
        "/home/demo/proj/callbacks.py",
        41,
        "on_train_batch_end",
        'raise RuntimeError(f"Loss is NaN at step {trainer.global_step}; stopping")',
    ),
}


def stamp(when: float) -> str:
    """UTC 'YYYY-mm-dd HH:MM:SS' for log lines."""
    return datetime.fromtimestamp(when, UTC).strftime("%Y-%m-%d %H:%M:%S")


def progress_line(when: float, epoch: int, step: int, max_steps: int, values: Mapping[str, float]) -> str:
    """The rank-0 progress line, shared with the live writer so appends look the same."""
    metrics = " | ".join(f"{key} {value:.4g}" for key, value in values.items())
    return f"{GREEN}{stamp(when)} INFO{RESET} | epoch {epoch} | step {step}/{max_steps} | {metrics}\n"


def _failure_message(failure: str, rank: int, step: int) -> str:
    if failure == "oom":
        return (
            f"torch.OutOfMemoryError: CUDA out of memory. Tried to allocate 2.00 GiB. GPU {rank} has a total "
            "capacity of 79.15 GiB of which 1.12 GiB is free. Including non-PyTorch memory, this process has "
            "78.02 GiB memory in use. If reserved but unallocated memory is large try setting "
            "PYTORCH_CUDA_ALLOC_CONF=expandable_segments:True to avoid fragmentation."
        )
    if failure == "nccl":
        return (
            f"torch.distributed.DistBackendError: [Rank {rank}] Watchdog caught collective operation timeout: "
            f"WorkNCCL(SeqNum={step * 3}, OpType=ALLREDUCE, NumelIn=1, Timeout(ms)=1800000) ran for "
            "1800094 milliseconds before timing out."
        )
    return f"RuntimeError: Loss is NaN at step {step}; stopping"


def traceback_text(failure: str, rank: int, step: int) -> str:
    """A Python traceback ending in the failure's exception, as rank ``rank`` prints it."""
    # With OOM only rank 2 hits the allocation; the others die in the next collective.
    kind = "nccl" if failure == "oom" and rank != 2 else failure
    lines = ["Traceback (most recent call last):"]
    for path, line, func, code in (*_LIGHTNING_FRAMES, _FAILURE_FRAMES[kind]):
        lines += [f'  File "{path}", line {line}, in {func}', f"    {code}"]
    lines.append(_failure_message(kind, rank, step))
    return "\n".join(lines) + "\n"


class _Clock:
    """Maps a step to wall time, from the run's creation time and speed."""

    def __init__(self, spec: RunSpec):
        self.start = spec.created_at
        self.per_step = (spec.updated_at - spec.created_at) / max(1, spec.steps_done)

    def at(self, step: int) -> float:
        """Wall-clock epoch seconds when ``step`` was logged."""
        return self.start + step * self.per_step


def _submitit_header(spec: RunSpec, rank: int, clock: _Clock) -> list[str]:
    when = f"{stamp(clock.start - 30)},{rank * 37:03d}"
    host = spec.hparams.get("slurm.nodelist", "localhost")
    return [
        f"submitit INFO ({when}) - Starting with JobEnvironment(job_id={spec.sweep_id}_{spec.task_id}, "
        f"hostname={host}, local_rank={rank}({RANKS}), node=0(1), global_rank={rank}({RANKS}))",
        f"submitit INFO ({when}) - Loading pickle: .submitit/{spec.sweep_id}_{spec.task_id}_submitted.pkl",
        f"[rank: {rank}] Seed set to {spec.hparams['seed']}",
        f"Initializing distributed: GLOBAL_RANK: {rank}, MEMBER: {rank + 1}/{RANKS}",
    ]


def _rank0_out(spec: RunSpec, model: CurveModel, clock: _Clock) -> list[str]:
    lines = [*_submitit_header(spec, 0, clock), f"{BOLD}config{RESET}:"]
    lines += [f"  {key}: {value}" for key, value in spec.hparams.items()]
    params_m = spec.hparams["model.depth"] * spec.hparams["model.width"] * 0.012
    lines += [
        "GPU available: True (cuda), used: True",
        "TPU available: False, using: 0 TPU cores",
        "LOCAL_RANK: 0 - CUDA_VISIBLE_DEVICES: [0,1,2,3]",
        "  | Name     | Type  | Params | Mode",
        f"0 | backbone | {spec.hparams['model.name']} | {params_m:.1f} M | train",
    ]
    steps = np.arange(RANK0_EVERY - 1, spec.steps_done, RANK0_EVERY)
    loss, acc = model.mean_loss(steps), model.mean_acc(steps)
    max_steps, epoch_len = model.max_steps, Cadence.from_hparams(spec.hparams).steps_per_epoch
    for step, step_loss, step_acc in zip(steps.tolist(), loss.tolist(), acc.tolist()):
        values = {"train/loss": step_loss, "train/acc": step_acc}
        lines.append(progress_line(clock.at(step), step // epoch_len, step, max_steps, values).rstrip("\n"))
    if spec.status == "completed":
        lines += [
            f"`Trainer.fit` stopped: `max_epochs={spec.hparams['trainer.max_epochs']}` reached.",
            f"submitit INFO ({stamp(spec.updated_at)},000) - Job completed successfully",
        ]
    return lines


def _other_rank_out(spec: RunSpec, rank: int, clock: _Clock) -> list[str]:
    lines = _submitit_header(spec, rank, clock)
    for step in range(OTHER_RANK_EVERY - 1, spec.steps_done, OTHER_RANK_EVERY):
        lines.append(
            f"[rank {rank}] {stamp(clock.at(step))} step {step} | data 0.{step % 7 + 1}ms | "
            f"mem {38 + (step * 7919 + rank) % 40 / 10:.1f}GiB"
        )
    return lines


def _clock_text(seconds: float) -> str:
    minutes, secs = divmod(int(seconds), 60)
    return f"{minutes:02d}:{secs:02d}"


def _tqdm_bar(prefix: str, done: int, total: int, rate: float, extra: str = "") -> str:
    filled = int(10 * done / total)
    bar = "█" * filled + " " * (10 - filled)
    timing = f"{_clock_text(done / rate)}<{_clock_text((total - done) / rate)}, {rate:.2f}it/s"
    return f"{prefix}: {100 * done // total:3d}%|{bar}| {done}/{total} [{timing}{extra}]"


def _jitter(rate: float, step: int) -> float:
    """The rate wobbling by up to +-5%, deterministically per step."""
    return rate * (1 + ((step * 7919) % 21 - 10) / 200)


def _loguru_lines(clock: _Clock, first_step: int, last_step: int, rate: float) -> list[str]:
    return [
        f"{stamp(clock.at(step))}.000 | INFO     | stable_pretraining.callbacks:on_train_batch_end:88 - "
        f"step {step}: throughput {_jitter(rate, step):.2f} it/s, {_jitter(rate, step) * 128:.0f} img/s"
        for step in range(first_step, last_step)
        if (step + 1) % LOGURU_EVERY == 0
    ]


def _rank0_err(spec: RunSpec, model: CurveModel, clock: _Clock) -> list[str]:
    lines = [
        "/opt/venv/lib/python3.11/site-packages/lightning/pytorch/trainer/connectors/data_connector.py:424: "
        "UserWarning: The 'val_dataloader' does not have many workers which may be a bottleneck."
    ]
    epoch_len = Cadence.from_hparams(spec.hparams).steps_per_epoch
    rate = max(1, spec.steps_done) / max(1.0, spec.updated_at - spec.created_at)
    for epoch in range((spec.steps_done + epoch_len - 1) // epoch_len):
        done_in_epoch = min(epoch_len, spec.steps_done - epoch * epoch_len)
        checkpoints = np.linspace(0, done_in_epoch, TQDM_UPDATES_PER_EPOCH + 1).astype(int)
        loss = float(model.mean_loss(np.array([epoch * epoch_len + done_in_epoch]))[0])
        lines += _loguru_lines(clock, epoch * epoch_len, epoch * epoch_len + done_in_epoch, rate)
        # One physical line per epoch, redrawn in place with \r like tqdm does.
        lines.append(
            "\r".join(
                _tqdm_bar(f"Epoch {epoch}", int(done), epoch_len, rate, f", train/loss={loss:.3f}")
                for done in checkpoints
            )
        )
        if done_in_epoch == epoch_len:
            lines.append("\r" + _tqdm_bar("Validation DataLoader 0", 79, 79, 14.2))
    return lines


def _other_rank_err(spec: RunSpec, rank: int) -> list[str]:
    prefix = f"{spec.hparams.get('slurm.nodelist', 'localhost')}:{1000 + rank}:{1000 + rank} [{rank}] NCCL INFO"
    lines = [f"{prefix} cudaDriverVersion 12040", f"{prefix} Bootstrap : Using ib0:10.0.0.{rank + 10}<0>"]
    peer = (rank + 1) % RANKS
    lines += [
        f"{prefix} Channel {channel:02d}/0 : {rank}[{rank}] -> {peer}[{peer}] via P2P/IPC" for channel in range(16)
    ]
    for step in range(OTHER_RANK_EVERY * 4 - 1, spec.steps_done, OTHER_RANK_EVERY * 4):
        wait_ms = (step * 31 + rank) % 97 / 10
        lines.append(f"[rank {rank}] step {step}: data wait {wait_ms:.1f}ms (prefetch queue 3/8)")
    return lines


def _ranked_logs(spec: RunSpec, model: CurveModel, rank: int, clock: _Clock) -> tuple[list[str], list[str]]:
    out = _rank0_out(spec, model, clock) if rank == 0 else _other_rank_out(spec, rank, clock)
    err = _rank0_err(spec, model, clock) if rank == 0 else _other_rank_err(spec, rank)
    if spec.failure:
        if rank == 0:
            err.append(f"submitit ERROR ({stamp(spec.updated_at)},001) - Submitted job triggered an exception")
        err.append(traceback_text(spec.failure, rank, spec.steps_done).rstrip("\n"))
    return out, err


def submitit_log_path(output_dir: Path, sweep_id: int, task_id: int, rank: int, stream: str) -> Path:
    """Where submitit puts a rank's log: <output_dir>/.submitit/<job>_<task>_<rank>_log.<stream>."""
    return output_dir / ".submitit" / f"{sweep_id}_{task_id}_{rank}_log.{stream}"


def write_submitit_logs(spec: RunSpec, output_dir: Path, model: CurveModel) -> None:
    """Write .out/.err for ranks 0..3 of a sweep run; failed runs end in tracebacks."""
    (output_dir / ".submitit").mkdir(parents=True, exist_ok=True)
    clock = _Clock(spec)
    for rank in range(RANKS):
        out, err = _ranked_logs(spec, model, rank, clock)
        for stream, lines in (("out", out), ("err", err)):
            path = submitit_log_path(output_dir, spec.sweep_id, spec.task_id, rank, stream)
            path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def write_run_dir_logs(spec: RunSpec, run_dir: Path, model: CurveModel) -> None:
    """train.out (ANSI colours, one invalid UTF-8 line) and train.err (\\r progress bars)."""
    clock = _Clock(spec)
    epoch_len = Cadence.from_hparams(spec.hparams).steps_per_epoch
    steps = np.arange(49, spec.steps_done, 50)
    out = [
        progress_line(clock.at(s), s // epoch_len, s, model.max_steps, {"train/loss": v}).encode()
        for s, v in zip(steps.tolist(), model.mean_loss(steps).tolist())
    ]
    out[len(out) // 3 : len(out) // 3] = [f"{YELLOW}{stamp(clock.at(0))} WARN{RESET} | slow dataloader\n".encode()]
    if spec.sweep_id is None:  # only the standalone run gets the broken bytes
        out.insert(len(out) // 2, INVALID_UTF8_LINE)
    (run_dir / "train.out").write_bytes(b"".join(out))
    err = [f"{RED}{BOLD}warning{RESET}: torch.compile disabled (no triton)", *_rank0_err(spec, model, clock)]
    (run_dir / "train.err").write_text("\n".join(err) + "\n", encoding="utf-8")
