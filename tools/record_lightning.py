"""Record what plain PyTorch Lightning writes (no stable-pretraining): CSVLogger and TensorBoardLogger runs.

Trains a tiny model twice, once per logger, with a one-step spike in
`train/loss` (step 57: fifty times the loss) so tests can check that no
downsampling hides it, and copies the run folders to `--out`:

    <out>/csv/tiny/version_0/{metrics.csv, hparams.yaml, checkpoints/*.ckpt}
    <out>/tensorboard/tiny/version_0/{events.out.tfevents.*, hparams.yaml, checkpoints/*.ckpt}

Checkpoints are copied as empty files of the same name (their bytes are large
and never read). Run it in a venv with torch (CPU), lightning and tensorboardX;
it installs nothing and CI never runs it:

    python tools/record_lightning.py --out tests/fixtures/lightning
"""

from __future__ import annotations

import argparse
import shutil
import tempfile
from pathlib import Path

STEPS = 120
SPIKE_STEP = 57


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", default="tests/fixtures/lightning")
    out = Path(parser.parse_args().out)
    import lightning.pytorch as pl
    from lightning.pytorch.loggers import CSVLogger, TensorBoardLogger

    for folder, make_logger in (("csv", CSVLogger), ("tensorboard", TensorBoardLogger)):
        work = Path(tempfile.mkdtemp(prefix=f"lightning-record-{folder}-"))
        logger = make_logger(save_dir=str(work), name="tiny", version=0)
        trainer = pl.Trainer(
            max_steps=STEPS,
            val_check_interval=30,
            check_val_every_n_epoch=None,
            log_every_n_steps=1,
            logger=logger,
            callbacks=[pl.callbacks.LearningRateMonitor(logging_interval="step")],
            enable_progress_bar=False,
            enable_model_summary=False,
            accelerator="cpu",
        )
        trainer.fit(tiny_model(pl, folder))
        target = out / folder
        shutil.rmtree(target, ignore_errors=True)
        shutil.copytree(work, target, ignore=shutil.ignore_patterns("*.ckpt"))
        for checkpoint in work.rglob("*.ckpt"):
            placeholder = target / checkpoint.relative_to(work)
            placeholder.parent.mkdir(parents=True, exist_ok=True)
            placeholder.touch()
        shutil.rmtree(work)
        size = sum(path.stat().st_size for path in target.rglob("*") if path.is_file())
        print(f"{folder}: {size / 1024:.0f} KiB -> {target}")


def tiny_model(pl, folder: str):
    """tools/tiny_model.py with a one-step spike in train/loss and, for TensorBoard, an image every 40 steps."""
    import torch
    from tiny_model import tiny_model as make

    def log_step(module, loss) -> None:
        shown = loss * 50 if module.global_step == SPIKE_STEP else loss  # a one-step spike to keep visible
        module.log("train/loss", shown)
        if module.global_step % 40 == 0 and hasattr(module.logger.experiment, "add_image"):
            picture = torch.sigmoid(module.net[0].weight[:8, :8]).detach().unsqueeze(0)
            module.logger.experiment.add_image("weights/first_layer", picture, module.global_step)

    hparams = {"model": {"width": 32}, "optim": {"lr": 0.05}, "logger": folder, "seed": 0}
    return make(pl, torch, hparams, STEPS, log_step)


if __name__ == "__main__":
    main()
