"""Record what stable-pretraining's RegistryLogger really writes, as replayable traces.

The real writer is the spec: this trains a tiny model under real Lightning
with spt's `RegistryLogger`, wired the way spt's `Manager` wires it (run dir
`runs/YYYYMMDD/HHMMSS/<12 hex>`, `run_meta.json` with SLURM ids, Lightning's
TensorBoard logger kept beside it, `checkpoints/last.ckpt`, a
`LearningRateMonitor`, images through `log_image`, validation), and records
every change it makes to the run directory, call by call, in order:

    {"root": ..., "scenario": ..., "run": "runs/20261126/124713/24e5e25741d3"}   header
    {"t": 0.42, "call": "RegistryLogger.save", "ops": [{"op": "append", ...}, ...]}

Ops: `mkdir`, `write` (a new file), `append` (bytes at an offset), `rewrite`
(same inode, new bytes), `replace` (a new inode: temp file + rename), `touch`
(mtime only), `delete`. Each carries the file mode. Text is stored as text,
other bytes as base64; checkpoints as their size only. `sptweb/demo/replay.py`
plays a trace back, so tests and the demo see exactly what the real writer
does, without torch.

Scenarios: completed, failed (an exception mid-run), killed (the process dies
with no finalize), requeued (SLURM requeue: `finalize("finished")`, the process
ends, a second process resumes in the same run dir and completes).

Run it in a venv that has torch (CPU), lightning, tensorboardX, loguru and
pillow; it installs nothing. CI never runs it. With the spt source unpacked
(the `stable_pretraining/` folder of github.com/galilai-group/stable-pretraining):

    python tools/record_spt.py --spt-src ~/src/stable-pretraining --out tests/fixtures/spt
"""

from __future__ import annotations

import argparse
import base64
import importlib.util
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import types
from datetime import datetime
from pathlib import Path

SCENARIOS = ("completed", "failed", "killed", "requeued")
STEPS = 120  # a few hundred rows with the lr monitor's own rows; keeps each trace small
FAIL_AT, KILL_AT, REQUEUE_AT = 70, 80, 60
SLURM = {"SLURM_JOB_ID": "4000123", "SLURM_ARRAY_JOB_ID": "4000120", "SLURM_ARRAY_TASK_ID": "3"}
SIZE_ONLY_SUFFIXES = (".ckpt",)  # binary and large: replayed as zero bytes of the same size


# ---- parent: run each scenario in its own process(es), collect the traces ------------------------


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--spt-src", required=True, help="checkout of stable-pretraining (holds stable_pretraining/)")
    parser.add_argument("--out", default="tests/fixtures/spt", help="where the traces go")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument("--run-dir", help=argparse.SUPPRESS)
    parser.add_argument("--trace", help=argparse.SUPPRESS)
    parser.add_argument("--resume", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args)
        return
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    for scenario in SCENARIOS:
        record(scenario, Path(args.spt_src), out / f"{scenario}.jsonl")


def record(scenario: str, spt_src: Path, destination: Path) -> None:
    work = Path(tempfile.mkdtemp(prefix=f"spt-record-{scenario}-"))
    now = datetime.now()
    relative = f"runs/{now:%Y%m%d}/{now:%H%M%S}/{os.urandom(6).hex()}"
    run_dir = work / "cache" / relative
    trace = work / "trace.jsonl"
    command = [sys.executable, __file__, "--spt-src", str(spt_src), "--child", scenario]
    command += ["--run-dir", str(run_dir), "--trace", str(trace)]
    env = {**os.environ, "SPT_RECORD_T0": str(time.time())}  # one clock for both processes of a requeue
    subprocess.run(command, check=False, env=env)
    if scenario == "requeued":  # SLURM starts the job again; spt's Manager finds the same run dir
        subprocess.run([*command, "--resume"], check=False, env=env)
    header = {"root": str(run_dir), "scenario": scenario, "run": relative, "recorded_at": time.time()}
    lines = [json.dumps(header), *trace.read_text().splitlines()]
    destination.write_text("\n".join(lines) + "\n")
    print(f"{scenario}: {len(lines) - 1} calls, {destination.stat().st_size / 1024:.0f} KiB -> {destination}")
    shutil.rmtree(work)


# ---- child: one training process ---------------------------------------------------------------


def child(args: argparse.Namespace) -> None:
    run_dir = Path(args.run_dir)
    tracer = Tracer(run_dir, Path(args.trace))
    RegistryLogger = load_registry_logger(Path(args.spt_src))

    import lightning.pytorch as pl
    import torch
    from lightning.pytorch.callbacks import LearningRateMonitor, ModelCheckpoint
    from lightning.pytorch.loggers import TensorBoardLogger

    torch.manual_seed(0)
    if not args.resume:
        run_dir.mkdir(parents=True, exist_ok=True)
        # As spt's Manager._resolve_run_dir: run_meta.json names the run and its SLURM ids.
        meta = {"run_dir": str(run_dir), "run_id": run_dir.name, **_slurm_meta()}
        (run_dir / "run_meta.json").write_text(json.dumps(meta))
        tracer.snapshot("Manager.write_run_meta")

    os.environ.update(SLURM)  # RegistryLogger tags the sweep from SLURM_ARRAY_JOB_ID
    registry = RegistryLogger(run_dir=run_dir, run_id=run_dir.name)
    for name in list(SLURM):  # Lightning must not think it runs under srun
        os.environ.pop(name)
    tensorboard = TensorBoardLogger(save_dir=str(run_dir), name="lightning_logs", version=0)
    for logger in (registry, tensorboard):
        tracer.wrap(
            logger, ("log_hyperparams", "log_metrics", "save", "finalize", "after_save_checkpoint", "log_image")
        )

    model = TinyModel(pl, torch, args.child, args.resume)
    checkpoint = ModelCheckpoint(
        dirpath=str(run_dir / "checkpoints"), filename="last", every_n_train_steps=40, enable_version_counter=False
    )
    trainer = pl.Trainer(
        max_steps=STEPS,
        val_check_interval=30,
        check_val_every_n_epoch=None,
        log_every_n_steps=2,
        callbacks=[LearningRateMonitor(logging_interval="step"), checkpoint, Scenario(pl, args.child, args.resume)],
        logger=[registry, tensorboard],
        enable_progress_bar=False,
        enable_model_summary=False,
        accelerator="cpu",
        default_root_dir=str(run_dir),
    )
    last = run_dir / "checkpoints" / "last.ckpt"
    ckpt_path = str(last) if args.resume and last.exists() else None
    try:
        trainer.fit(model, ckpt_path=ckpt_path)
    finally:
        tracer.snapshot("process.exit")


def _slurm_meta() -> dict:
    return {"slurm_job_id": SLURM["SLURM_JOB_ID"], "slurm_array_task_id": SLURM["SLURM_ARRAY_TASK_ID"]}


def load_registry_logger(spt_src: Path):
    """`stable_pretraining.registry.logger` alone: stub the parent packages instead of importing spt whole."""
    from lightning.pytorch.utilities import rank_zero_only

    package_dir = spt_src / "stable_pretraining"
    for name, path in (
        ("stable_pretraining", package_dir),
        ("stable_pretraining.utils", package_dir / "utils"),
        ("stable_pretraining.registry", package_dir / "registry"),
    ):
        module = types.ModuleType(name)
        module.__path__ = [str(path)]
        sys.modules[name] = module
    distributed = types.ModuleType("stable_pretraining.utils.distributed")
    distributed.rank_zero_only = rank_zero_only
    sys.modules["stable_pretraining.utils.distributed"] = distributed
    spec = importlib.util.spec_from_file_location(
        "stable_pretraining.registry.logger", package_dir / "registry" / "logger.py"
    )
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module.RegistryLogger


def TinyModel(pl, torch, scenario: str, resume: bool):
    """tools/tiny_model.py, logging its pictures through spt's `log_image`."""
    from tiny_model import tiny_model

    def log_step(module, loss) -> None:
        module.log("train/loss", loss)
        if module.global_step % 40 == 0 and module.trainer.logger is not None:
            picture = torch.sigmoid(module.net[0].weight[:8, :8]).detach().numpy()
            module.trainer.logger.log_image("samples/weights", [picture], step=module.global_step)

    hparams = {
        "model": {"width": 32, "depth": 2},
        "optim": {"lr": 0.05, "name": "SGD"},
        "data": {"batch_size": 16},
        "seed": 0,
        "scenario": scenario,
    }
    return tiny_model(pl, torch, hparams, STEPS, log_step)


def Scenario(pl, scenario: str, resume: bool):
    """Ends the run the way the scenario says: an exception, a hard kill, or a SLURM requeue."""

    class Ending(pl.Callback):
        def on_train_batch_end(self, trainer, module, outputs, batch, index):
            step = trainer.global_step
            if scenario == "failed" and step == FAIL_AT:
                raise RuntimeError("CUDA error: an illegal memory access was encountered (recorded failure)")
            if scenario == "killed" and step == KILL_AT:
                os._exit(137)  # SIGKILL from the OOM killer: no finalize, no flush
            if scenario == "requeued" and not resume and step == REQUEUE_AT:
                trainer.save_checkpoint(str(Path(trainer.default_root_dir) / "checkpoints" / "last.ckpt"))
                trainer.logger.finalize("finished")  # what Lightning's SLURM requeue handler leads to
                os._exit(0)

    return Ending()


# ---- tracing: what reached the disk, call by call ----------------------------------------------


class Tracer:
    """Snapshots the run dir after every wrapped call and appends the differences to the trace."""

    def __init__(self, run_dir: Path, trace: Path) -> None:
        self.run_dir, self.trace = run_dir, trace
        self.started = float(os.environ["SPT_RECORD_T0"])
        self.files: dict[str, tuple] = self._load_state()

    def wrap(self, obj, names) -> None:
        owner = type(obj).__name__
        for name in names:
            if not hasattr(obj, name):  # TensorBoardLogger has no log_image
                continue
            original = getattr(obj, name)

            def traced(*args, _original=original, _name=f"{owner}.{name}", **kwargs):
                try:
                    return _original(*args, **kwargs)
                finally:
                    self.snapshot(_name)

            setattr(obj, name, traced)

    def snapshot(self, call: str) -> None:
        now = self._scan()
        ops = []
        for path in sorted(set(self.files) | set(now), key=lambda p: (now.get(p) or self.files[p])[2]):
            before, after = self.files.get(path), now.get(path)
            op = _difference(path, before, after)
            if op is not None:
                ops.append(op)
        self.files = now
        if ops:
            with self.trace.open("a") as handle:
                handle.write(json.dumps({"t": round(time.time() - self.started, 3), "call": call, "ops": ops}) + "\n")
        self._save_state()

    def _scan(self) -> dict[str, tuple]:
        found = {}
        if not self.run_dir.exists():
            return found
        for directory, subdirs, names in os.walk(self.run_dir):
            for name in subdirs:
                path = Path(directory, name)
                stat = path.stat()
                found[str(path.relative_to(self.run_dir)) + "/"] = (
                    "dir",
                    stat.st_ino,
                    stat.st_mtime_ns,
                    stat.st_mode,
                    b"",
                )
            for name in names:
                path = Path(directory, name)
                stat = path.stat()
                content = b"" if name.endswith(SIZE_ONLY_SUFFIXES) else path.read_bytes()
                found[str(path.relative_to(self.run_dir))] = (
                    "file",
                    stat.st_ino,
                    stat.st_mtime_ns,
                    stat.st_mode,
                    content,
                    stat.st_size,
                )
        return found

    # The requeued scenario's second process continues the first one's view of the files.
    def _state_path(self) -> Path:
        return self.trace.with_suffix(".state")

    def _load_state(self) -> dict:
        if not self._state_path().exists():
            return {}
        saved = json.loads(self._state_path().read_text())
        return {path: (*entry[:4], base64.b64decode(entry[4]), *entry[5:]) for path, entry in saved.items()}

    def _save_state(self) -> None:
        encoded = {
            path: [*entry[:4], base64.b64encode(entry[4]).decode(), *entry[5:]] for path, entry in self.files.items()
        }
        self._state_path().write_text(json.dumps(encoded))


def _difference(path: str, before, after) -> dict | None:
    if after is None:
        return {"op": "delete", "path": path} if before is not None else None
    kind, inode, mtime_ns, mode, content = after[:5]
    base = {"path": path, "mode": mode & 0o7777}
    if kind == "dir":
        return {"op": "mkdir", **base} if before is None else None
    size = after[5]
    if path.endswith(SIZE_ONLY_SUFFIXES):
        if before is None or before[1] != inode or before[2] != mtime_ns:
            return {"op": "replace" if before is not None else "write", **base, "size": size}
        return None
    if before is None:
        return {"op": "write", **base, **_data(content)}
    old_inode, old_mtime, old_content = before[1], before[2], before[4]
    if old_inode != inode:
        return {"op": "replace", **base, **_data(content)}
    if content == old_content:
        return {"op": "touch", "path": path} if old_mtime != mtime_ns else None
    if content.startswith(old_content):
        return {"op": "append", **base, "offset": len(old_content), **_data(content[len(old_content) :])}
    return {"op": "rewrite", **base, **_data(content)}


def _data(content: bytes) -> dict:
    try:
        return {"text": content.decode("utf-8")}
    except UnicodeDecodeError:
        return {"b64": base64.b64encode(content).decode("ascii")}


if __name__ == "__main__":
    main()
