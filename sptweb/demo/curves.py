"""Synthetic training curves and their sparse Lightning-CSVLogger encoding."""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

LR_KEY = "lr-AdamW"
TRAIN_KEYS = (LR_KEY, "train/loss", "train/acc")
VAL_KEYS = ("val/loss", "val/acc")
GRAD_NORM_KEY = "train/grad_norm"
# The learning rate where final loss is lowest: sweeps around it should
# show a clear U shape when grouped by optim.lr.
LR_OPTIMUM = 8e-4
WARMUP_FRACTION = 0.05
CELL_FORMAT = "%.6g"  # compact, and writes nan/inf the way Python's csv does


@dataclass(frozen=True)
class CurveModel:
    """Noise-free curve shapes for one run, derived from its hparams."""

    lr: float
    depth: int
    width: int
    max_steps: int
    num_classes: int

    @classmethod
    def from_hparams(cls, hparams: Mapping[str, Any]) -> CurveModel:
        """Build the model from flattened hparams (as stored in the sidecar)."""
        return cls(
            lr=float(hparams["optim.lr"]),
            depth=int(hparams["model.depth"]),
            width=int(hparams["model.width"]),
            max_steps=int(hparams["trainer.max_steps"]),
            num_classes=int(hparams["data.num_classes"]),
        )

    @property
    def initial_loss(self) -> float:
        """Cross-entropy of a uniform guess: ln(num_classes)."""
        return math.log(self.num_classes)

    @property
    def final_loss(self) -> float:
        """Asymptotic train loss: lower with capacity, U-shaped in log(lr)."""
        capacity = math.log2(self.depth * self.width / 64)
        lr_miss = math.log10(self.lr / LR_OPTIMUM)
        return self.initial_loss * (0.06 + 0.55 / capacity + 0.12 * lr_miss**2)

    @property
    def tau(self) -> float:
        """Decay constant of the loss curve, in steps."""
        # Higher lr converges faster early on, even when it ends worse.
        return 0.12 * self.max_steps * math.sqrt(LR_OPTIMUM / self.lr)

    def lr_at(self, steps: np.ndarray) -> np.ndarray:
        """Linear warmup then cosine decay to 1% of the peak."""
        warmup = max(1.0, WARMUP_FRACTION * self.max_steps)
        decay = np.clip((steps - warmup) / max(1.0, self.max_steps - warmup), 0, 1)
        cosine = self.lr * (0.01 + 0.99 * 0.5 * (1 + np.cos(np.pi * decay)))
        return np.where(steps < warmup, self.lr * (steps + 1) / warmup, cosine)

    def mean_loss(self, steps: np.ndarray) -> np.ndarray:
        """Noise-free train loss: exponential decay towards final_loss."""
        final = self.final_loss
        return final + (self.initial_loss - final) * np.exp(-steps / self.tau)

    def mean_acc(self, steps: np.ndarray) -> np.ndarray:
        """Noise-free train accuracy: rises from chance and saturates."""
        chance = 1.0 / self.num_classes
        ceiling = math.exp(-0.3 * self.final_loss)
        done = 1 - np.exp(-steps / (1.3 * self.tau))
        return chance + (ceiling - chance) * done**1.3

    def sample_train(self, steps: np.ndarray, rng: np.random.Generator, grad_norm: bool) -> dict[str, np.ndarray]:
        """Noisy train-row values (lr, loss, acc and optionally grad norm) at ``steps``."""
        steps = np.asarray(steps, dtype=float)
        loss = self.mean_loss(steps) * np.exp(rng.normal(0, 0.06, steps.shape))
        mean_acc = self.mean_acc(steps)
        # Batch accuracy is binomial: noise shrinks near 0 and 1.
        acc = np.clip(mean_acc + rng.normal(0, 1, steps.shape) * np.sqrt(mean_acc * (1 - mean_acc) / 128), 0, 1)
        out = {LR_KEY: self.lr_at(steps), "train/loss": loss, "train/acc": acc}
        if grad_norm:
            decay = np.exp(-steps / (0.3 * self.tau))
            out[GRAD_NORM_KEY] = (0.4 + 3.0 * decay) * np.exp(rng.normal(0, 0.25, steps.shape))
        return out

    def sample_val(self, steps: np.ndarray, rng: np.random.Generator) -> dict[str, np.ndarray]:
        """Noisy validation values at ``steps``; val loss creeps up late (overfitting)."""
        steps = np.asarray(steps, dtype=float)
        late = (steps / self.max_steps) ** 2
        overfit = 0.02 * self.initial_loss * math.log2(self.depth * self.width / 64) / 6
        loss = (self.mean_loss(steps) * 1.04 + overfit * late) * np.exp(rng.normal(0, 0.01, steps.shape))
        acc = np.clip(self.mean_acc(steps) * 0.94 - 0.5 * overfit * late + rng.normal(0, 0.004, steps.shape), 0, 1)
        return {"val/loss": loss, "val/acc": acc}


@dataclass(frozen=True)
class Cadence:
    """How often train and val rows are logged, and the epoch length, in steps."""

    log_every: int
    val_every: int
    steps_per_epoch: int

    @classmethod
    def from_hparams(cls, hparams: Mapping[str, Any]) -> Cadence:
        """Read the cadence back from flattened hparams."""
        max_steps = int(hparams["trainer.max_steps"])
        return cls(
            log_every=int(hparams["trainer.log_every_n_steps"]),
            val_every=int(hparams["trainer.val_check_interval"]),
            steps_per_epoch=max_steps // int(hparams["trainer.max_epochs"]),
        )

    def is_val_step(self, step: int) -> bool:
        """Whether a validation row follows the train row of ``step``."""
        return (step + 1) % self.val_every == 0


@dataclass
class MetricTable:
    """A sparse metrics table: one value array and one 'cell present' mask per key."""

    header: list[str]
    steps: np.ndarray
    epochs: np.ndarray
    values: dict[str, np.ndarray]
    present: dict[str, np.ndarray]

    def train_rows(self) -> np.ndarray:
        """Row indices that carry train metrics."""
        return np.flatnonzero(self.present["train/loss"])


def build_table(
    model: CurveModel, cadence: Cadence, steps_done: int, rng: np.random.Generator, grad_norm: bool
) -> MetricTable:
    """Simulate ``steps_done`` steps: train rows every log_every, val rows every val_every."""
    train_steps = np.arange(cadence.log_every - 1, steps_done, cadence.log_every)
    val_steps = np.arange(cadence.val_every - 1, steps_done, cadence.val_every)
    steps = np.concatenate([train_steps, val_steps])
    is_val = np.concatenate([np.zeros(len(train_steps), bool), np.ones(len(val_steps), bool)])
    # Stable order by step, with a step's val row after its train row.
    order = np.lexsort((is_val, steps))
    steps, is_val = steps[order], is_val[order]
    header = ["epoch", "step", *TRAIN_KEYS, *VAL_KEYS] + ([GRAD_NORM_KEY] if grad_norm else [])
    values: dict[str, np.ndarray] = {}
    present: dict[str, np.ndarray] = {}
    train, val = model.sample_train(train_steps, rng, grad_norm), model.sample_val(val_steps, rng)
    for mask, sampled in ((~is_val, train), (is_val, val)):
        for key, column in sampled.items():
            values[key] = np.full(len(steps), np.nan)
            values[key][mask] = column
            present[key] = mask
    return MetricTable(header, steps, steps // cadence.steps_per_epoch, values, present)


def _format_cells(values: np.ndarray, present: np.ndarray) -> list[str]:
    cells = np.full(len(values), "", dtype=object)
    cells[present] = [CELL_FORMAT % v for v in values[present].tolist()]
    return cells.tolist()


def table_to_csv(table: MetricTable) -> str:
    """Render the table as CSV text with a header line and a trailing newline."""
    columns = [list(map(str, table.epochs.tolist())), list(map(str, table.steps.tolist()))]
    columns += [_format_cells(table.values[key], table.present[key]) for key in table.header[2:]]
    body = "\n".join(map(",".join, zip(*columns)))
    return ",".join(table.header) + "\n" + body + "\n"


def format_row(header: list[str], cells: Mapping[str, float]) -> str:
    """One CSV line (with newline) in ``header`` order; missing keys stay empty."""
    parts = []
    for key in header:
        value = cells.get(key)
        if value is None:
            parts.append("")
        elif key in ("epoch", "step"):
            parts.append(str(int(value)))
        else:
            parts.append(CELL_FORMAT % value)
    return ",".join(parts) + "\n"


def last_values(table: MetricTable) -> dict[str, float]:
    """Last logged value per metric key, plus epoch, like the sidecar summary."""
    summary = {}
    for key in table.header[2:]:
        rows = np.flatnonzero(table.present[key])
        if len(rows):
            summary[key] = float(table.values[key][rows[-1]])
    if len(table.epochs):
        summary["epoch"] = float(table.epochs[-1])
    return summary


def metric_stats(table: MetricTable) -> dict[str, dict[str, float | int]]:
    """Per-metric {last, min, max, count} for summary.json; NaN never wins min/max."""
    stats = {}
    for key in table.header[2:]:
        logged = table.values[key][table.present[key]]
        if not len(logged):
            continue
        finite_or_inf = logged[~np.isnan(logged)]
        low = float(finite_or_inf.min()) if len(finite_or_inf) else float("nan")
        high = float(finite_or_inf.max()) if len(finite_or_inf) else float("nan")
        stats[key] = {"last": float(logged[-1]), "min": low, "max": high, "count": len(logged)}
    return stats


def apply_quirk(table: MetricTable, quirk: str | None) -> None:
    """Inject a known oddity in place: 'nan_spike', 'loss_spike' or 'diverged'."""
    rows = table.train_rows()
    loss = table.values["train/loss"]
    if quirk == "nan_spike":  # a few NaN losses mid-run, then training recovers
        first = int(len(rows) * 0.4)
        loss[rows[first : first + 3]] = np.nan
        if GRAD_NORM_KEY in table.values:  # the overflow that caused it
            table.values[GRAD_NORM_KEY][rows[first]] = np.inf
    elif quirk == "loss_spike":  # one bad batch: 10x loss at a single step
        loss[rows[int(len(rows) * 0.55)]] *= 10
    elif quirk == "diverged":  # loss explodes over the last rows, then NaN
        tail = rows[-300:]
        loss[tail] *= np.exp(np.linspace(0, 5, len(tail)))
        loss[rows[-4:]] = np.nan
        table.values["train/acc"][tail] *= np.linspace(1, 0.02, len(tail))
