"""The run table's state (search, filters, sort, columns, page) and how it selects runs.

The state lives in the query string so a bookmark restores the view; this
module parses it, applies it to a snapshot, and builds it back into URLs.
Pure: no Flask, no file access.
"""

from __future__ import annotations

import math
import time
from collections import Counter
from dataclasses import dataclass, field, replace

from ..scan import Snapshot
from ..scan.records import KNOWN_STATUSES, RunRecord, column_value
from . import filter_expr
from .live_views import (
    HIDDEN,
    SHOWN,
    Classify,
    ColumnTally,
    SortedView,
    ViewRule,
    follows_clock,
    has_value,
    most_common,
    sort_key,
)
from .number_format import column_format, is_number

DEFAULT_SORT = "-created"
MAX_COLUMNS = 30  # more would make the row unreadable and the URL unwieldy
DEFAULT_COLUMN_COUNT = 4  # summary columns shown when `cols` is absent


@dataclass(frozen=True)
class TableQuery:
    """Everything that selects and orders the rows, as it appears in the URL."""

    q: str = ""
    status: str = ""
    tag: str = ""
    filter: str = ""
    sort: str = DEFAULT_SORT
    cols: tuple[str, ...] | None = None  # None: choose sensible defaults
    page: int = 1
    archived: bool = False
    group: str = ""  # a column (or "sweep"): rows grouped under a header with counts and means

    @classmethod
    def from_args(cls, args) -> TableQuery:
        """Parse request args leniently: a bad value falls back to its default."""
        cols = _split_cols(args.getlist("cols")) if "cols" in args else None
        return cls(
            q=args.get("q", "").strip(),
            status=args.get("status", "").strip().lower(),
            tag=args.get("tag", "").strip(),
            filter=args.get("filter", "").strip(),
            sort=args.get("sort", "").strip() or DEFAULT_SORT,
            cols=cols,
            page=_positive_int(args.get("page"), 1),
            archived=args.get("archived", "") in {"1", "true", "yes", "on"},
            group=args.get("group", "").strip(),
        )

    def to_args(self, **changes) -> dict:
        """Query args for a URL with `changes` applied; defaults are left out to keep URLs short."""
        state = replace(self, **changes)
        args = {
            "q": state.q,
            "status": state.status,
            "tag": state.tag,
            "filter": state.filter,
            "sort": "" if state.sort == DEFAULT_SORT else state.sort,
            "cols": None if state.cols is None else ",".join(state.cols),
            "page": "" if state.page == 1 else state.page,
            "archived": "1" if state.archived else "",
            "group": state.group,
        }
        # An empty `cols` is meaningful (the user hid every extra column), so it stays.
        return {key: value for key, value in args.items() if value is not None and (value != "" or key == "cols")}

    def sorted_by(self, column: str) -> dict:
        """Args for a header link: sort by `column` in its natural first direction, or flip it if sorted by it."""
        if self.sort == column:
            return self.to_args(sort=f"-{column}", page=1)
        if self.sort == f"-{column}":
            return self.to_args(sort=column, page=1)
        return self.to_args(sort=f"-{column}" if descending_first(column) else column, page=1)


# Builtin columns whose interesting end is the top: the newest run, the longest or latest to end.
DESCENDING_FIRST = frozenset({"created", "ended", "duration"})


def descending_first(column: str) -> bool:
    """Whether a header's first click sorts high to low: metrics (accuracy: best first; a loss is one more
    click) and times (newest first). Names, ids, statuses and hparams read best in ascending order."""
    return column.startswith("sum.") or column in DESCENDING_FIRST


@dataclass(frozen=True)
class TablePage:
    """One page of selected runs plus what the header needs."""

    rows: list[RunRecord]
    total: int  # rows matching the query, all pages
    page: int
    pages: int
    columns: tuple[str, ...]
    status_counts: dict[str, int]  # over runs matching everything but the status filter
    filter_error: str | None
    groups: dict = field(default_factory=dict)  # group key -> GroupSummary, over every matching run
    group: str = ""
    archived_hidden: int = 0  # archived runs that match everything else, left out because `archived` is off
    formats: dict = field(default_factory=dict)  # column -> NumberFormat, from the values on this page

    def group_of(self, run: RunRecord) -> GroupSummary | None:
        return self.groups.get(group_key(group_value(run, self.group))) if self.group else None


@dataclass(frozen=True)
class GroupSummary:
    """A table group's header: how many runs, and the mean of each shown numeric column."""

    label: str
    count: int
    means: dict[str, float]
    value: object = None  # the raw group value (None: runs without one)


def select(snapshot: Snapshot, query: TableQuery, page_size: int, now: float | None = None) -> TablePage:
    """Apply the query to a snapshot's runs and cut out one page.

    Order, total and counts come from sorted views (live_views.py) kept on the snapshot's memo and
    carried from poll to poll: a request costs O(page), and the first request after a poll re-places
    only the runs that poll changed.
    """
    now = now or time.time()
    predicate, filter_error = filter_expr.compile_filter(query.filter)
    listed = _view(snapshot, query, predicate, filter_error, "", now)  # all but the status filter: for the chips
    shown = _view(snapshot, query, predicate, filter_error, query.status, now) if query.status else listed
    descending = query.sort.startswith("-")
    columns = query.cols if query.cols is not None else default_columns(snapshot)
    groups = {}
    pages = max(1, math.ceil(len(shown) / page_size))
    page = min(query.page, pages)
    start = (page - 1) * page_size
    if query.group:
        # Grouping reorders every matching run and averages over them: O(matching runs), not O(page).
        # Stable: runs keep the requested order inside their group.
        ordered = shown.records(0, len(shown), descending)
        ordered.sort(key=lambda run: _group_order(group_value(run, query.group)))
        groups = summarize_groups(ordered, query.group, columns)
        rows = ordered[start : start + page_size]
    else:
        rows = shown.records(start, start + page_size, descending)
    return TablePage(
        rows=rows,
        total=len(shown),
        page=page,
        pages=pages,
        columns=columns,
        status_counts={status: listed.status_counts.get(status, 0) for status in (*KNOWN_STATUSES, "other")},
        filter_error=filter_error,
        groups=groups,
        group=query.group,
        archived_hidden=shown.hidden,
        formats={column: column_format([column_value(run, column, now) for run in rows], column) for column in columns},
    )


def _view(snapshot: Snapshot, query: TableQuery, predicate, filter_error, status: str, now: float) -> SortedView:
    """The runs matching the query's search, tag, filter, archived switch and `status` (\"\": any),
    sorted by its sort column, from the snapshot's memo.

    Carried from snapshot to snapshot and advanced over the changed runs, unless the sort or the
    filter follows the clock (live_views.CLOCK_COLUMNS): such a view is computed once per snapshot.
    """
    words = tuple(query.q.lower().split())
    active_filter = predicate if query.filter and not filter_error else None  # none: skip a call per run
    rule = ViewRule(query.sort.lstrip("-"), _classifier(words, query.tag, active_filter, query.archived, status), now)
    # Sorting "x" and "-x" read one view in two directions; a filter that does not parse filters nothing.
    key = ("table-view", rule.column, words, query.tag, "" if filter_error else query.filter, query.archived, status)
    runs = snapshot.runs

    def build() -> SortedView:
        return SortedView.build(runs, rule)

    if follows_clock(rule.column, query.filter):
        return snapshot.memo.get(key, build)
    return snapshot.memo.incremental(key, build, lambda view, changed: view.advanced(runs, changed, rule))


def _classifier(words: tuple[str, ...], tag: str, predicate, archived: bool, status: str) -> Classify:
    """A view's rule: SHOWN for a matching run; HIDDEN for one left out only for being archived
    (the table says how many); None for the rest."""

    if not (words or tag or predicate or status):  # nothing filters: only the archived switch (a sort alone)
        return lambda run: HIDDEN if run.overlay.archived and not archived else SHOWN

    def classify(run: RunRecord) -> str | None:
        if tag and tag not in run.tags:
            return None
        text = run.search_text
        for word in words:  # (a loop, not all() over a generator: a new search classifies every run)
            if word not in text:
                return None
        if predicate is not None and not predicate(run):
            return None
        if not _has_status(run, status):
            return None
        return HIDDEN if run.archived and not archived else SHOWN

    return classify


def _has_status(run: RunRecord, status: str) -> bool:
    return not status or status in (run.status, run.status_group)


def group_value(run: RunRecord, group: str):
    """What a run is grouped by: a column's value, or its sweep id for `group=sweep`."""
    if group == "sweep":
        return run.sweep_id
    return column_value(run, group)


def group_key(value):
    """A hashable key for a group value (missing values form one group)."""
    return None if not has_value(value) else sort_key(value)


def _group_order(value):
    return (1, (0, 0.0, "")) if not has_value(value) else (0, sort_key(value))


def summarize_groups(runs: list[RunRecord], group: str, columns: tuple[str, ...]) -> dict:
    """Per group: a label, the run count and the mean of each numeric column (over every matching run)."""
    members: dict = {}
    for run in runs:
        members.setdefault(group_key(group_value(run, group)), []).append(run)
    summaries = {}
    for key, group_runs in members.items():
        value = group_value(group_runs[0], group)
        means = {}
        for column in columns:
            numbers = [v for v in (column_value(run, column) for run in group_runs) if is_number(v)]
            if numbers:
                means[column] = sum(numbers) / len(numbers)
        label = "—" if key is None else str(value)
        summaries[key] = GroupSummary(label, len(group_runs), means, None if key is None else value)
    return summaries


def sort_runs(runs: list[RunRecord], sort: str, now: float) -> list[RunRecord]:
    """Sort numbers numerically and text alphabetically; missing values last either way."""
    descending = sort.startswith("-")
    column = sort.lstrip("-")
    keyed = [(column_value(run, column, now), run) for run in runs]
    valued = [(value, run) for value, run in keyed if has_value(value)]
    missing = [run for value, run in keyed if not has_value(value)]
    valued.sort(key=lambda pair: (sort_key(pair[0]), pair[1].run_id), reverse=descending)
    return [run for _, run in valued] + sorted(missing, key=lambda run: run.run_id)


def column_tally(snapshot: Snapshot) -> ColumnTally:
    """How many runs report each summary key, hparam, statistic and tag; carried from poll to poll
    and advanced over the changed runs, so the column lists below cost O(distinct keys) per snapshot."""
    runs = snapshot.runs
    return snapshot.memo.incremental(
        "column-tally", lambda: ColumnTally.build(runs), lambda tally, changed: tally.advanced(runs, changed)
    )


def default_columns(snapshot: Snapshot) -> tuple[str, ...]:
    """The summary metrics most runs report: what a researcher looks at first."""
    return snapshot.memo.get("default_columns", lambda: _common_summary_columns(column_tally(snapshot).summary))


# Lightning puts these into every metrics dict: counters, not results.
NOT_DEFAULT_COLUMNS = frozenset({"epoch", "step"})


def _common_summary_columns(summary_counts: Counter[str]) -> tuple[str, ...]:
    counts = Counter({key: count for key, count in summary_counts.items() if key not in NOT_DEFAULT_COLUMNS})
    common = most_common(counts, DEFAULT_COLUMN_COUNT * 3)
    preferred = sorted(common, key=lambda key: (not key.startswith("val"), -counts[key], key))
    return tuple(f"sum.{key}" for key in preferred[:DEFAULT_COLUMN_COUNT])


def available_columns(snapshot: Snapshot, limit: int = 200) -> list[str]:
    """hparam and summary keys present in the runs, most common first (ties by name), for the column
    picker; then summary.json's statistics (min/max/last/count), offered after the plain columns."""

    def compute() -> list[str]:
        tally = column_tally(snapshot)
        counts = Counter({f"sum.{key}": count for key, count in tally.summary.items()})
        counts.update({f"hp.{key}": count for key, count in tally.hparams.items()})
        stats = Counter({f"sum.{key}": count for key, count in tally.stats.items()})
        columns = most_common(counts, limit)
        return columns + most_common(stats, max(0, limit - len(columns)))

    return snapshot.memo.get(("columns", limit), compute)


COLUMN_GROUPS = ("hparams", "metrics", "other")


def column_groups(snapshot: Snapshot) -> list[tuple[str, list[str]]]:
    """The column picker's sections: hparams, metrics (summary values), other (summary.json's
    min/max/last statistics), each in available_columns' most-common-first order."""

    def compute() -> list[tuple[str, list[str]]]:
        summary_keys = column_tally(snapshot).summary
        sections: dict[str, list[str]] = {name: [] for name in COLUMN_GROUPS}
        for column in available_columns(snapshot):
            if column.startswith("hp."):
                sections["hparams"].append(column)
            elif column.startswith("sum.") and column[4:] in summary_keys:
                sections["metrics"].append(column)
            else:
                sections["other"].append(column)
        return [(name, columns) for name, columns in sections.items() if columns]

    return snapshot.memo.get("column_groups", compute)


def all_tags(snapshot: Snapshot) -> list[str]:
    """Every tag in use, for the tag filter's completion list."""
    return snapshot.memo.get("tags", lambda: sorted(column_tally(snapshot).tags))


def _split_cols(values: list[str]) -> tuple[str, ...]:
    columns = [part.strip() for value in values for part in value.split(",")]
    return tuple(dict.fromkeys(column for column in columns if column))[:MAX_COLUMNS]


def _positive_int(raw: str | None, default: int) -> int:
    try:
        return max(1, int(raw))
    except (TypeError, ValueError):
        return default


def group_choices(snapshot: Snapshot) -> list[str]:
    """What the table can group by: the sweep, the status, or any hparam."""
    return ["sweep", "status", *(column for column in available_columns(snapshot) if column.startswith("hp."))]


def group_filter_args(query: TableQuery, summary: GroupSummary) -> dict | None:
    """Table query args selecting exactly one group's runs (for its "compare" link)."""
    if summary.value is None:
        return None
    if query.group == "sweep":
        return {**query.to_args(page=1, cols=None, sort=DEFAULT_SORT, group=""), "tag": f"sweep:{summary.value}"}
    clause = f"{query.group}={summary.value}"
    combined = f"{query.filter}; {clause}" if query.filter else clause
    return query.to_args(filter=combined, page=1, cols=None, sort=DEFAULT_SORT, group="")
