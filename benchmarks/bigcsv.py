"""Write a Lightning-style metrics.csv of N rows x 10 metrics (sparse val rows), for benchmarks."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

TRAIN_KEYS = ["lr-AdamW", "train/loss", "train/acc", "train/grad_norm", "train/throughput", "train/loss_aux"]
VAL_KEYS = ["val/loss", "val/acc", "val/top5", "val/loss_ema"]
VAL_EVERY = 1000  # steps between validation rows, as a trainer would log them


def write_big_csv(path: Path, rows: int, seed: int = 0) -> Path:
    """Write `rows` data rows: train rows every step, a val row (train cells empty) every VAL_EVERY."""
    if path.exists() and path.stat().st_size > 0 and path.with_suffix(".rows").read_text() == str(rows):
        return path
    rng = np.random.default_rng(seed)
    step = np.arange(rows)
    is_val = (step % VAL_EVERY) == VAL_EVERY - 1
    epoch = step // 5000
    decay = np.exp(-step / (rows / 5))
    columns = {
        "lr-AdamW": 1e-3 * (0.5 + 0.5 * np.cos(np.pi * step / rows)),
        "train/loss": 0.3 + 2.2 * decay + rng.normal(0, 0.05, rows),
        "train/acc": 0.9 - 0.8 * decay + rng.normal(0, 0.01, rows),
        "train/grad_norm": np.abs(rng.normal(1, 0.3, rows)),
        "train/throughput": rng.normal(2400, 50, rows),
        "train/loss_aux": 0.1 + decay + rng.normal(0, 0.02, rows),
        "val/loss": 0.35 + 2.1 * decay,
        "val/acc": 0.88 - 0.8 * decay,
        "val/top5": 0.98 - 0.7 * decay,
        "val/loss_ema": 0.36 + 2.0 * decay,
    }
    header = ["epoch", "step", *TRAIN_KEYS, *VAL_KEYS]
    with open(path, "w") as handle:
        handle.write(",".join(header) + "\n")
        for start in range(0, rows, 100_000):
            stop = min(rows, start + 100_000)
            lines = []
            for index in range(start, stop):
                if is_val[index]:
                    cells = [""] * len(TRAIN_KEYS) + [f"{columns[key][index]:.6g}" for key in VAL_KEYS]
                else:
                    cells = [f"{columns[key][index]:.6g}" for key in TRAIN_KEYS] + [""] * len(VAL_KEYS)
                lines.append(f"{epoch[index]},{index}," + ",".join(cells))
            handle.write("\n".join(lines) + "\n")
    path.with_suffix(".rows").write_text(str(rows))
    return path


if __name__ == "__main__":
    out = write_big_csv(Path(sys.argv[1]), int(sys.argv[2]) if len(sys.argv) > 2 else 1_000_000)
    print(out, out.stat().st_size // 2**20, "MiB")
