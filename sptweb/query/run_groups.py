"""Group compared runs by hparams: `group=optim.lr,model.depth`, or `group=-seed` for
"every hparam that differs among these runs, except seed"."""

from __future__ import annotations

from dataclasses import dataclass

from ..scan.records import RunRecord


@dataclass(frozen=True)
class RunGroup:
    label: str  # e.g. "optim.lr=0.001, model.depth=12"
    runs: tuple[RunRecord, ...]


def grouping_keys(runs: list[RunRecord], spec: str) -> list[str]:
    """The hparam keys a group spec means for these runs."""
    parts = [part.strip() for part in spec.split(",") if part.strip()]
    excluded = {part[1:] for part in parts if part.startswith("-")}
    named = [part for part in parts if not part.startswith("-")]
    if named:
        return named
    if not excluded:
        return []
    return [key for key in differing_hparams(runs) if key not in excluded]


def differing_hparams(runs: list[RunRecord]) -> list[str]:
    """Hparams whose value differs among the runs, leaving out id-like keys
    (a different value for every run, e.g. output_dir or slurm.task_id): grouping by
    those would put every run alone."""
    keys = sorted({key for run in runs for key in run.meta.hparams})
    differing = []
    for key in keys:
        values = [_hashable(run.meta.hparams.get(key)) for run in runs]
        distinct = len(set(values))
        if distinct > 1 and not (distinct == len(runs) and len(runs) > 2):
            differing.append(key)
    return differing


def group_runs(runs: list[RunRecord], keys: list[str]) -> list[RunGroup]:
    """Runs with equal values for `keys`, in first-seen order."""
    groups: dict[tuple, list[RunRecord]] = {}
    for run in runs:
        signature = tuple(_hashable(run.meta.hparams.get(key)) for key in keys)
        groups.setdefault(signature, []).append(run)
    return [
        RunGroup(
            ", ".join(f"{key}={_show(value)}" for key, value in zip(keys, signature)) or "all runs", tuple(members)
        )
        for signature, members in groups.items()
    ]


def _hashable(value):
    return value if isinstance(value, (str, int, float, bool, type(None))) else repr(value)


def _show(value) -> str:
    return "—" if value is None else str(value)
