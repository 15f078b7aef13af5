"""Which runs a compare URL means: `runs=` listed explicitly, or the run table's query args."""

from __future__ import annotations

from dataclasses import dataclass

from ..scan import RunRecord, Snapshot
from . import table

MAX_COMPARE_RUNS = 200  # 200 overlaid curves is already a wall of colour


@dataclass(frozen=True)
class Selection:
    runs: list[RunRecord]
    missing: list[str]  # listed ids that are not (or no longer) runs
    error: str | None = None


def requested_ids(args, runs: dict[str, RunRecord]) -> list[str]:
    """`runs=a,b&runs=c`; a value that is itself a run id is kept whole (ids may contain commas)."""
    ids: list[str] = []
    for value in args.getlist("runs"):
        value = value.strip()
        ids.extend([value] if value in runs else [part.strip() for part in value.split(",")])
    return list(dict.fromkeys(run_id for run_id in ids if run_id))


def select_runs(args, snapshot: Snapshot) -> Selection:
    """The compared runs, in the order given (or the table's order for a query)."""
    runs = snapshot.runs
    if "runs" in args:
        ids = requested_ids(args, runs)
        chosen = [runs[run_id] for run_id in ids if run_id in runs]
        missing = [run_id for run_id in ids if run_id not in runs]
    else:
        query = table.TableQuery.from_args(args)
        chosen = table.select(snapshot, query, page_size=MAX_COMPARE_RUNS + 1).rows
        missing = []
    if len(chosen) > MAX_COMPARE_RUNS:
        return Selection([], missing, f"at most {MAX_COMPARE_RUNS} runs per comparison; narrow the selection")
    return Selection(chosen, missing)
