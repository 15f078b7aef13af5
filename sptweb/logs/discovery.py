"""Find a run's log streams, in docs/format.md's order:

1. `<run_dir>/*.out`, `*.err`;
2. `hparams["output_dir"]`, if it is a directory: `*.out`, `*.err`, `*.log`;
3. submitit per-rank logs: `parent(output_dir)/<sweep>_<task>/.submitit/<sweep>_<task>_<rank>_log.{out,err}`,
   with the sweep id from a `sweep:<id>` tag and the task id from `slurm.task_id`
   (or the run id's `<sweep>_<task>` component, or the text after its last `_`).
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING

from ..files import is_under

if TYPE_CHECKING:  # run records come from scan/, which imports this package
    from ..scan.records import RunRecord


@dataclass(frozen=True)
class LogPlaces:
    """Where logs may be found besides the run dir: --logs templates, and the roots output_dir must be under."""

    templates: tuple[str, ...] = ()
    output_roots: tuple[str, ...] = ()  # real paths; empty: output_dir is not restricted


DEFAULT_PLACES = LogPlaces()
RUN_DIR_SUFFIXES = (".out", ".err")
OUTPUT_DIR_SUFFIXES = (".out", ".err", ".log")
KIND_ORDER = {"out": 0, "err": 1, "log": 2}


@dataclass(frozen=True)
class LogStream:
    """One log file the viewer may show. `id` is stable and is the only name clients use."""

    id: str
    path: str
    kind: str  # out | err | log
    place: str  # run | output | submitit
    rank: int | None = None
    size: int = 0
    mtime: float = 0.0

    @property
    def label(self) -> str:
        if self.rank is not None:
            return f"rank {self.rank} {self.kind}"
        return os.path.basename(self.path)


def watched_dirs(run: RunRecord, places: LogPlaces = DEFAULT_PLACES) -> list[str]:
    """The directories whose listing decides the streams (their mtimes key the cache)."""
    dirs = [run.path, *dict.fromkeys(os.path.dirname(path) for _, path in _named_files(run, places.templates))]
    hydra = _hydra_dir(run)
    if hydra:
        dirs.append(hydra)
    output_dir = _output_dir(run, places.output_roots)
    if output_dir:
        dirs.append(output_dir)
    submitit = _submitit_dir(run, output_dir)
    if submitit:
        dirs.append(submitit)
    return dirs


def discover(run: RunRecord, places: LogPlaces = DEFAULT_PLACES) -> list[LogStream]:
    """Every stream, without sizes (the store stats them when listing)."""
    streams = _job_logs(run, places)
    streams += _plain_logs(run.path, "run", RUN_DIR_SUFFIXES)
    hydra = _hydra_dir(run)
    if hydra and os.path.realpath(hydra) != os.path.realpath(run.path):
        streams += _plain_logs(hydra, "hydra", (".log",))
    output_dir = _output_dir(run, places.output_roots)
    if output_dir and os.path.realpath(output_dir) != os.path.realpath(run.path):
        streams += _plain_logs(output_dir, "output", OUTPUT_DIR_SUFFIXES)
    submitit = _submitit_dir(run, output_dir)
    if submitit:
        streams += _rank_logs(submitit)
    return streams


def places_looked(run: RunRecord, places: LogPlaces = DEFAULT_PLACES) -> list[str]:
    """Where logs were looked for, in words, for a run that has none."""
    looked = [f"{run.path}/*.out, *.err"]
    looked += [f"{path} (from {source})" for source, path in _named_files(run, places.templates)]
    if run.side.run_meta.slurm_job_id and not run.job_logs:
        looked.append(
            f"SLURM job {run.side.run_meta.slurm_job_id}: scontrol no longer knows it (or is not on this node)"
        )
    if not places.templates:
        looked.append("no --logs template (e.g. --logs '/nfs/me/slurm/{slurm_job_id}_{slurm_array_task_id}.out')")
    output_dir = _output_dir(run, places.output_roots)
    if output_dir:
        looked.append(f"{output_dir}/*.out, *.err, *.log (hparams output_dir)")
    return looked


def _named_files(run: RunRecord, templates: tuple[str, ...]) -> list[tuple[str, str]]:
    """(source, path) of log files named outright: by SLURM's scontrol, or by a --logs template."""
    named = [("slurm", path) for path in run.job_logs]
    fields = _template_fields(run)
    for template in templates:
        try:
            named.append(("template", os.path.expanduser(template.format_map(fields))))
        except (KeyError, IndexError, ValueError, AttributeError):
            continue  # the run lacks a field this template needs
    return named


def _template_fields(run: RunRecord) -> dict:
    run_meta = run.side.run_meta
    fields = {
        "run_id": run.meta.writer_run_id or run_meta.writer_run_id,
        "slurm_job_id": run_meta.slurm_job_id,
        "slurm_array_task_id": run_meta.slurm_array_task_id,
        "run_dir": run.path,
        "hp": run.meta.hparams,
    }
    return {key: value for key, value in fields.items() if value is not None}


def _job_logs(run: RunRecord, places: LogPlaces) -> list[LogStream]:
    """The job's own stdout/stderr: a file SLURM named first as out, a second as err (or by suffix)."""
    streams, seen = [], set()
    for source, path in _named_files(run, places.templates):
        if path in seen or not os.path.isfile(path):
            continue
        seen.add(path)
        kind = (
            "err"
            if path.endswith(".err") or (source == "slurm" and path == run.job_logs[-1] and len(run.job_logs) > 1)
            else "out"
        )
        streams.append(LogStream(f"{source}:{os.path.basename(path)}", path, kind, source))
    return streams


def _hydra_dir(run: RunRecord) -> str | None:
    """Hydra's output dir, when the config names one: it holds `<task>.log`."""
    for key in ("hydra.runtime.output_dir", "hydra.run.dir"):
        value = run.meta.hparams.get(key)
        if isinstance(value, str) and value and os.path.isdir(value):
            return value
    return None


def _plain_logs(directory: str, place: str, suffixes: tuple[str, ...]) -> list[LogStream]:
    streams = []
    inside = os.path.realpath(directory) + os.sep
    for name in sorted(_file_names(directory)):
        suffix = os.path.splitext(name)[1]
        # A symlinked log that resolves elsewhere (say, /etc/passwd named train.out) is not this run's log.
        if suffix in suffixes and os.path.realpath(os.path.join(directory, name)).startswith(inside):
            streams.append(LogStream(f"{place}:{name}", os.path.join(directory, name), suffix[1:], place))
    return sorted(streams, key=lambda stream: (KIND_ORDER[stream.kind], stream.id))


_RANK_LOG = re.compile(r"^(?P<job>.+)_(?P<rank>\d+)_log\.(?P<kind>out|err)$")


def _rank_logs(directory: str) -> list[LogStream]:
    streams = []
    for name in _file_names(directory):
        match = _RANK_LOG.match(name)
        if match:
            rank, kind = int(match["rank"]), match["kind"]
            streams.append(LogStream(f"rank{rank}.{kind}", os.path.join(directory, name), kind, "submitit", rank))
    return sorted(streams, key=lambda stream: (stream.rank, KIND_ORDER[stream.kind]))


def _output_dir(run: RunRecord, allowed_roots: tuple[str, ...] = ()) -> str | None:
    """hparams' output_dir, if it is a directory below the runs roots: a sidecar must not point the
    viewer at anyone's files (with no roots given, any directory)."""
    output_dir = run.meta.hparams.get("output_dir")
    if not (isinstance(output_dir, str) and output_dir and os.path.isdir(output_dir)):
        return None
    real = os.path.realpath(output_dir)
    if allowed_roots and not any(is_under(real, root) for root in allowed_roots):
        return None
    return output_dir


def _submitit_dir(run: RunRecord, output_dir: str | None) -> str | None:
    sweep_id = run.sweep_id
    if not sweep_id or not output_dir:
        return None
    task_id = _task_id(run, sweep_id)
    if task_id is None:
        return None
    directory = os.path.join(os.path.dirname(os.path.normpath(output_dir)), f"{sweep_id}_{task_id}", ".submitit")
    return directory if os.path.isdir(directory) else None


def _task_id(run: RunRecord, sweep_id: str) -> str | None:
    task_id = run.meta.hparams.get("slurm.task_id")
    if isinstance(task_id, (int, str)) and not isinstance(task_id, bool) and str(task_id) != "":
        return str(task_id)
    for part in run.run_id.split("/"):  # a path component like 4000001_7
        if part.startswith(f"{sweep_id}_") and part[len(sweep_id) + 1 :].isdigit():
            return part[len(sweep_id) + 1 :]
    tail = run.run_id.rsplit("_", 1)[-1] if "_" in run.run_id else ""
    return tail if tail.isdigit() else None


def _file_names(directory: str) -> list[str]:
    try:
        with os.scandir(directory) as entries:
            return [entry.name for entry in entries if entry.is_file()]
    except OSError:
        return []
