"""The config diff table: runs x (hparams and summary), which columns differ, sorted."""

from __future__ import annotations

import math
from dataclasses import dataclass

from ..scan.records import RunRecord, column_value
from .id_like import is_id_like
from .table import sort_runs


@dataclass(frozen=True)
class DiffColumn:
    name: str  # `hp.<key>` or `sum.<key>`
    differs: bool


@dataclass(frozen=True)
class DiffTable:
    rows: list[RunRecord]
    columns: list[DiffColumn]
    hidden: int  # identical columns left out
    hidden_ids: int  # id-like hparam columns left out (job ids, hosts, output dirs)


def diff_table(runs: list[RunRecord], hide_identical: bool, sort: str, now: float, hide_ids: bool = True) -> DiffTable:
    """Every hparam and summary column; identical and id-like ones optionally hidden; rows sorted."""
    hparams = sorted({key for run in runs for key in run.meta.hparams})
    id_like = {key for key in hparams if is_id_like(key, [run.meta.hparams.get(key) for run in runs])}
    names = [f"hp.{key}" for key in hparams if not (hide_ids and key in id_like)]
    names += [f"sum.{key}" for key in sorted({key for run in runs for key in run.meta.summary})]
    columns = [DiffColumn(name, column_differs(runs, name)) for name in names]
    shown = [column for column in columns if column.differs or not hide_identical]
    rows = sort_runs(runs, sort, now) if sort else list(runs)
    return DiffTable(rows, shown, len(columns) - len(shown), len(id_like) if hide_ids else 0)


def column_differs(runs: list[RunRecord], name: str) -> bool:
    """True when the runs do not all hold the same value (a missing value counts as different)."""
    values = {_comparable(column_value(run, name)) for run in runs}
    return len(values) > 1


def _comparable(value):
    if isinstance(value, float) and math.isnan(value):
        return "NaN"
    return value if isinstance(value, (str, int, float, bool, type(None))) else repr(value)
