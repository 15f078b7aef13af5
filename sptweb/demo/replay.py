"""Play back a recorded trace of a real writer (tools/record_spt.py) into a runs root.

A trace is what stable-pretraining's RegistryLogger did to its run directory
under real Lightning, call by call: files created, bytes appended at an
offset, sidecars replaced by temp file + rename (mode 0600, as spt's
`mkstemp` leaves them), the heartbeat touched. Replaying it reproduces the
real writer's file operations in the same order, so tests can step through
a run poll by poll and the demo can show real-shaped runs, without torch.

Times inside `sidecar.json` and `summary.json` are shifted so the run looks
as if it happened now, and the recording machine's run path is replaced by
the replay's.
"""

from __future__ import annotations

import base64
import json
import os
import shutil
import tempfile
import time
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

TIMESTAMPED_FILES = ("sidecar.json", "summary.json")
TIME_FIELDS = ("created_at", "ended_at", "updated_at")
SPT_DIR = "stable-pretraining"  # where the demo puts replayed spt runs (its own writer leaves it alone)
SCENARIOS = ("completed", "failed", "killed", "requeued")
LIVE_SECONDS = 600.0  # the demo's live spt run trains for ten minutes, not the recording's few seconds


@dataclass(frozen=True)
class Trace:
    root: str  # the run dir on the recording machine
    scenario: str  # completed | failed | killed | requeued
    run: str  # the run's path under the runs root, e.g. runs/20261126/124713/24e5e25741d3
    recorded_at: float
    calls: list[dict]  # {"t": seconds since the start, "call": "RegistryLogger.save", "ops": [...]}


def load_trace(path: str | Path) -> Trace:
    lines = Path(path).read_text().splitlines()
    header = json.loads(lines[0])
    calls = [json.loads(line) for line in lines[1:] if line.strip()]
    return Trace(header["root"], header["scenario"], header["run"], header["recorded_at"], calls)


def recordings_dir(kind: str = "spt") -> Path:
    """Recorded real-writer output (spt traces, Lightning runs): inside the package when installed,
    tests/fixtures/<kind> in a checkout."""
    installed = Path(__file__).parent / "recordings" / kind
    return installed if installed.is_dir() else Path(__file__).parents[2] / "tests" / "fixtures" / kind


class Replayer:
    """Applies a trace's calls to `runs_root / trace.run`, one `step()` at a time."""

    def __init__(self, trace: Trace, runs_root: str | Path, run: str | None = None, now: float | None = None) -> None:
        self.trace = trace
        self.run_dir = Path(runs_root) / (run or trace.run)
        # A run placed under another name gets that name as its writer id too (spt names the dir by it).
        self.renames = [(trace.root, str(self.run_dir)), (Path(trace.run).name, self.run_dir.name)]
        self.position = 0  # calls applied so far
        self.time_shift = (now if now is not None else time.time()) - trace.recorded_at

    @property
    def done(self) -> bool:
        return self.position >= len(self.trace.calls)

    def step(self) -> dict | None:
        """Apply the next call's file operations; the call, or None when the trace is over."""
        if self.done:
            return None
        call = self.trace.calls[self.position]
        for op in call["ops"]:
            self._apply(op)
        self.position += 1
        return call

    def play(self, calls: int | None = None, until: str | None = None) -> None:
        """Apply `calls` calls, or up to and including the first call named `until`, or all."""
        applied = 0
        while not self.done and (calls is None or applied < calls):
            call = self.step()
            applied += 1
            if until is not None and call is not None and call["call"] == until:
                return

    def _apply(self, op: dict) -> None:
        path = self.run_dir / op["path"]
        kind = op["op"]
        if kind == "mkdir":
            path.mkdir(parents=True, exist_ok=True)
        elif kind == "touch":
            os.utime(path)
        elif kind == "delete":
            path.unlink(missing_ok=True)
        elif kind == "append":
            with open(path, "ab") as handle:
                handle.write(self._bytes(op))
        elif kind in ("write", "rewrite"):
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(self._bytes(op))
            os.chmod(path, op["mode"])
        elif kind == "replace":
            self._replace(path, self._bytes(op), op["mode"])

    def _replace(self, path: Path, data: bytes, mode: int) -> None:
        """As the writer does it: a temp file beside the target, then an atomic rename."""
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        os.chmod(tmp, mode)
        os.replace(tmp, path)

    def _bytes(self, op: dict) -> bytes:
        if "size" in op:  # a checkpoint: only its size was kept
            return bytes(op["size"])
        if "b64" in op:
            return base64.b64decode(op["b64"])
        text = op["text"]
        for old, new in self.renames:
            text = text.replace(old, new)
        if Path(op["path"]).name in TIMESTAMPED_FILES and op["op"] in ("write", "replace"):
            text = self._shift_times(text)
        return text.encode("utf-8")

    def _shift_times(self, text: str) -> str:
        try:
            document = json.loads(text)
        except ValueError:
            return text
        for field in TIME_FIELDS:
            if isinstance(document.get(field), (int, float)):
                document[field] += self.time_shift
        return json.dumps(document, indent=2)


class PacedReplayer(Replayer):
    """A replay stretched over `seconds` of wall time: `advance()` applies the calls that are due."""

    def __init__(self, trace: Trace, runs_root: str | Path, run: str, seconds: float, now: float) -> None:
        super().__init__(trace, runs_root, run=run, now=now)
        self.started = now
        times = [call["t"] for call in trace.calls] or [0.0]
        self.first_t = times[0]  # the recording's clock started with the process, before training
        self.stretch = seconds / (times[-1] - times[0]) if times[-1] > times[0] else 1.0

    def advance(self, now: float) -> int:
        """Apply every call due by `now`; how many were applied."""
        applied = 0
        while (
            not self.done and (self.trace.calls[self.position]["t"] - self.first_t) * self.stretch <= now - self.started
        ):
            self.step()
            applied += 1
        return applied


def write_recorded_runs(root: str | Path) -> list[Path]:
    """Every recorded spt run, replayed whole under `root/stable-pretraining/`, and the recorded plain
    Lightning runs (CSVLogger, TensorBoard) under `root/lightning/`: the real writers' shapes."""
    replayers = [Replayer(load_trace(recordings_dir() / f"{name}.jsonl"), Path(root) / SPT_DIR) for name in SCENARIOS]
    for replayer in replayers:
        replayer.play()
    lightning = Path(root) / "lightning"
    shutil.copytree(recordings_dir("lightning"), lightning, dirs_exist_ok=True)
    return [replayer.run_dir for replayer in replayers] + sorted(
        path.parent for path in lightning.rglob("hparams.yaml")
    )


def live_recorded_run(root: str | Path, now: float | None = None) -> PacedReplayer:
    """The completed recording, to be played live under a fresh spt-style name (runs/<date>/<time>/<id>)."""
    now = time.time() if now is None else now
    stamp = datetime.fromtimestamp(now)
    run = f"runs/{stamp:%Y%m%d}/{stamp:%H%M%S}/{os.urandom(6).hex()}"
    trace = load_trace(recordings_dir() / "completed.jsonl")
    return PacedReplayer(trace, Path(root) / SPT_DIR, run, LIVE_SECONDS, now)
