"""The files real writers leave beside (or instead of) a readable sidecar.

stable-pretraining writes `run_meta.json` (its run id and, under SLURM, the
job and array task ids) and `summary.json` (per metric: last, min, max,
count); Lightning writes `hparams.yaml`. Parsing is pure and lenient: a file
that does not parse gives nothing, never an error. Files are read with
`files.read_regular`.
"""

from __future__ import annotations

import json
import math
from dataclasses import field

import yaml

from .frozen import frozen_record
from .sidecar import flatten

SUMMARY_STATS = ("last", "min", "max", "count")


@frozen_record
class RunMeta:
    """run_meta.json: which job wrote the run (the SLURM ids are strings, as spt writes them)."""

    writer_run_id: str | None = None
    slurm_job_id: str | None = None
    slurm_array_task_id: str | None = None

    @property
    def slurm_label(self) -> str | None:
        """`4000123` or `4000123 (task 3)`, for the run header."""
        if self.slurm_job_id is None:
            return None
        task = f" (task {self.slurm_array_task_id})" if self.slurm_array_task_id is not None else ""
        return f"{self.slurm_job_id}{task}"


NO_RUN_META = RunMeta()


@frozen_record
class SideFiles:
    """What the side files said, as of their last change."""

    run_meta: RunMeta = NO_RUN_META
    stats: dict = field(default_factory=dict)  # "val/acc.max" -> 0.91, from summary.json


NO_SIDE_FILES = SideFiles()  # shared: records are immutable and never change it


def parse_run_meta(raw: bytes) -> RunMeta:
    document = _json_object(raw)
    return RunMeta(
        writer_run_id=_text(document.get("run_id")),
        slurm_job_id=_text(document.get("slurm_job_id")),
        slurm_array_task_id=_text(document.get("slurm_array_task_id")),
    )


def parse_summary_stats(raw: bytes) -> dict:
    """summary.json's `metrics` as flat columns: `{"val/acc": {"max": 0.9}}` -> `{"val/acc.max": 0.9}`."""
    metrics = _json_object(raw).get("metrics")
    if not isinstance(metrics, dict):
        return {}
    stats = {}
    for key, values in metrics.items():
        if not isinstance(values, dict):
            continue
        for name in SUMMARY_STATS:
            value = values.get(name)
            if isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value):
                stats[f"{key}.{name}"] = value
    return stats


def parse_hparams_yaml(raw: bytes) -> dict:
    """Lightning's hparams.yaml, flattened with dots like a sidecar's hparams; {} when it is not a mapping."""
    try:
        document = yaml.load(raw, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))  # safe: no Python objects
    except (yaml.YAMLError, RecursionError, ValueError):
        return {}
    return flatten(document) if isinstance(document, dict) else {}


def _json_object(raw: bytes) -> dict:
    try:
        document = json.loads(raw.decode("utf-8", errors="replace"))
    except (ValueError, RecursionError):
        return {}
    return document if isinstance(document, dict) else {}


def _text(value) -> str | None:
    if isinstance(value, bool) or value is None:
        return None
    return str(value) if isinstance(value, (str, int)) else None
