"""Group compared runs by hparams: `group=optim.lr,model.depth`, or `group=-seed` for
"every hparam that differs among these runs, except seed"."""

from __future__ import annotations

from dataclasses import dataclass

from ..scan.records import RunRecord
from .id_like import is_id_like


@dataclass(frozen=True)
class RunGroup:
    label: str  # e.g. "optim.lr=0.001, model.depth=12"
    runs: tuple[RunRecord, ...]


def grouping_keys(runs: list[RunRecord], spec: str) -> list[str]:
    """The hparam keys a group spec means for these runs.

    Named keys are used as given. `-seed` (or any list of exclusions) means the
    differing hparams that are not id-like, minus the excluded ones; then, while
    those keys still put every run alone, the key whose removal leaves the fewest
    groups goes too: a per-run value (a node list where nodes repeat, say) makes
    no groups, only noise in the label.
    """
    parts = [part.strip() for part in spec.split(",") if part.strip()]
    excluded = {part[1:] for part in parts if part.startswith("-")}
    named = [part for part in parts if not part.startswith("-")]
    if named:
        return named
    if not excluded:
        return []
    keys = [key for key in differing_hparams(runs) if key not in excluded]
    while len(keys) > 1 and len(runs) > 2 and _group_count(runs, keys) == len(runs):
        keys.remove(min(keys, key=lambda key: _group_count(runs, [k for k in keys if k != key])))
    return keys


def differing_hparams(runs: list[RunRecord]) -> list[str]:
    """Hparams whose value differs among the runs, leaving out id-like keys: those named like
    an id, a host or a path (slurm.*, *_id, output_dir), those with a path for a value, and those
    with a different value for every run. Grouping by them would put every run alone."""
    keys = sorted({key for run in runs for key in run.meta.hparams})
    differing = []
    for key in keys:
        values = [_hashable(run.meta.hparams.get(key)) for run in runs]
        distinct = len(set(values))
        if distinct < 2 or (distinct == len(runs) and len(runs) > 2) or is_id_like(key, values):
            continue
        differing.append(key)
    return differing


def group_runs(runs: list[RunRecord], keys: list[str]) -> list[RunGroup]:
    """Runs with equal values for `keys`, in first-seen order."""
    groups: dict[tuple, list[RunRecord]] = {}
    for run in runs:
        groups.setdefault(_signature(run, keys), []).append(run)
    return [
        RunGroup(
            ", ".join(f"{key}={_show(value)}" for key, value in zip(keys, signature)) or "all runs", tuple(members)
        )
        for signature, members in groups.items()
    ]


def _group_count(runs: list[RunRecord], keys: list[str]) -> int:
    return len({_signature(run, keys) for run in runs})


def _signature(run: RunRecord, keys: list[str]) -> tuple:
    return tuple(_hashable(run.meta.hparams.get(key)) for key in keys)


def _hashable(value):
    return value if isinstance(value, (str, int, float, bool, type(None))) else repr(value)


def _show(value) -> str:
    return "—" if value is None else str(value)
