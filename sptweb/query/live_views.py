"""The run table's orders and counts, kept up to date from each poll's changes instead of per request.

A `SortedView` holds the runs one rule admits, in the order of one sort column, with the counts the
table's header shows. A `ColumnTally` counts the summary keys, hparams, statistics and tags in use.
Both are incremental memo entries (scan/snapshot.py): the memo hands them to the next snapshot with
the ids of the runs changed in between, and `advanced` re-places just those runs, so a request after
a poll that changed one run evaluates one run, not 100,000. Pure: no Flask, no I/O.
"""

from __future__ import annotations

import math
from bisect import bisect_left, insort
from collections import Counter
from collections.abc import Callable, Collection, Iterable, Mapping
from dataclasses import dataclass, replace
from itertools import chain

from ..scan.records import RunRecord, column_value

SHOWN, HIDDEN = "shown", "hidden"  # what a view's rule says of a run; None: not in the view at all
Classify = Callable[[RunRecord], str | None]

# Columns whose value moves with the clock: a live run's duration grows by the second, so its place
# in a sort (or a `duration>3600` filter) changes with no file changing and no change set to say so.
# Views of them are computed per snapshot instead (as the table did before views were carried): a
# snapshot is replaced at every poll that changes anything, and while a run trains, polls do.
CLOCK_COLUMNS = frozenset({"duration"})

# A poll that changed more than 1/REBUILD_RATIO of the runs (the first walk, a restored index, a
# remounted root): sorting everything once beats that many one-by-one inserts (each moves half the list).
REBUILD_RATIO = 8

# (kind, number, text, run_id): a present value's sort key (numbers before text, see sort_key), then
# the run id that breaks ties. Flat, not nested: 100,000 of them are held per view.
Entry = tuple[int, float, str, str]


def follows_clock(column: str, filter_text: str) -> bool:
    """Whether a view sorted by `column` under `filter_text` can change order with no change set.
    Any mention of a clock column in the filter counts: a false alarm only costs a per-snapshot view."""
    return column in CLOCK_COLUMNS or any(name in filter_text for name in CLOCK_COLUMNS)


def has_value(value) -> bool:
    """A value a run can be sorted by; runs without one (None, "", NaN) go last."""
    return value is not None and value != "" and not (isinstance(value, float) and math.isnan(value))


def sort_key(value) -> tuple[int, float, str]:
    """Numbers before text, so a column of mixed types still has one order."""
    if isinstance(value, (int, float)):
        return (0, float(value), "")
    return (1, 0.0, str(value).lower())


@dataclass(frozen=True, slots=True)
class ViewRule:
    """Which runs a view holds (`classify`) and in what order (`column`, ascending; read backwards
    for a descending sort). `now` only matters for CLOCK_COLUMNS."""

    column: str
    classify: Classify
    now: float | None = None

    def entry(self, run: RunRecord) -> Entry | None:
        """Where the run sorts among the runs with a value; None: it has none (it goes last)."""
        value = column_value(run, self.column, self.now)
        return (*sort_key(value), run.run_id) if has_value(value) else None


@dataclass(frozen=True, slots=True)
class SortedView:
    """The runs a rule shows, sorted, and what the table's header counts about them.

    Never changed once built (older snapshots may still be reading it): `advanced` returns a new one.
    Order, exactly as `table.sort_runs`: runs with a value by (sort key, run id), the whole part
    reversed for a descending sort; then runs without one by run id, in either direction.
    """

    runs: Mapping[str, RunRecord]  # the snapshot's runs this view reflects: its ids resolve here
    present: list[Entry]  # shown runs with a value, ascending
    missing: list[str]  # shown runs without a value, by run id
    status_counts: Counter[str]  # status_group -> shown runs
    hidden: int  # runs the rule hides (archived ones, while the table leaves them out)

    def __len__(self) -> int:
        return len(self.present) + len(self.missing)

    @classmethod
    def build(cls, runs: Mapping[str, RunRecord], rule: ViewRule) -> SortedView:
        """From scratch: every run classified once, one sort."""
        present: list[Entry] = []
        missing: list[str] = []
        status_counts: Counter[str] = Counter()
        hidden = 0
        for run in runs.values():
            verdict = rule.classify(run)
            if verdict == SHOWN:
                entry = rule.entry(run)
                if entry is None:
                    missing.append(run.run_id)
                else:
                    present.append(entry)
                status_counts[run.status_group] += 1
            elif verdict == HIDDEN:
                hidden += 1
        present.sort()
        missing.sort()
        return cls(runs, present, missing, status_counts, hidden)

    def advanced(self, runs: Mapping[str, RunRecord], changed: Collection[str], rule: ViewRule) -> SortedView:
        """This view for `runs`, which differ from `self.runs` only in the `changed` ids: each changed
        run is taken out as it was counted (its old record, classified again: records are immutable,
        so the verdict is the same) and put back as it is now, if it still exists."""
        if len(changed) * REBUILD_RATIO > len(runs):
            return SortedView.build(runs, rule)
        present, missing = self.present.copy(), self.missing.copy()  # memmoves: no Python work per run
        status_counts, hidden = self.status_counts.copy(), self.hidden
        for run_id in changed:
            for run, sign in ((self.runs.get(run_id), -1), (runs.get(run_id), +1)):
                if run is None:  # added (no old record) or removed (no new one)
                    continue
                verdict = rule.classify(run)
                if verdict == SHOWN:
                    _place(present, missing, rule.entry(run), run_id, sign)
                    status_counts[run.status_group] += sign
                elif verdict == HIDDEN:
                    hidden += sign
        return SortedView(runs, present, missing, +status_counts, hidden)

    def ids(self, start: int, stop: int, descending: bool) -> list[str]:
        """Run ids at display positions start..stop-1: O(stop - start)."""
        count = len(self.present)
        head_stop = min(stop, count)
        if start >= head_stop:
            head = []
        elif descending:  # display position i is present[count - 1 - i]
            head = self.present[count - head_stop : count - start][::-1]
        else:
            head = self.present[start:head_stop]
        tail = self.missing[max(start, count) - count : max(stop, count) - count]
        return [entry[-1] for entry in head] + tail

    def records(self, start: int, stop: int, descending: bool) -> list[RunRecord]:
        # (.get: a restart whose stored records proved unreadable has only the first pages; see loading_runs)
        return [run for run_id in self.ids(start, stop, descending) if (run := self.runs.get(run_id)) is not None]

    # Storable (scan/snapshot.py): the persisted index keeps the table's views for the next start.
    def rebound(self, runs: Mapping[str, RunRecord]) -> SortedView:
        return replace(self, runs=runs)

    def leading_ids(self, count: int) -> list[str]:
        return self.ids(0, count, descending=False) + self.ids(0, count, descending=True)


def _place(present: list[Entry], missing: list[str], entry: Entry | None, run_id: str, sign: int) -> None:
    """Insert (sign +1) or remove (sign -1) one run's place, found by bisection."""
    ordered: list = present if entry is not None else missing
    item = entry if entry is not None else run_id
    if sign > 0:
        insort(ordered, item)
        return
    index = bisect_left(ordered, item)
    if index == len(ordered) or ordered[index] != item:
        raise LookupError(f"sorted view out of step with its runs: {run_id} is not where it was counted")
    del ordered[index]


@dataclass(frozen=True, slots=True)
class ColumnTally:
    """How many runs report each summary key, hparam, summary.json statistic and tag: what the
    default columns, the column picker and the tag completions are chosen from."""

    runs: Mapping[str, RunRecord]  # the snapshot's runs these counts are over
    summary: Counter[str]
    hparams: Counter[str]
    stats: Counter[str]
    tags: Counter[str]

    @classmethod
    def build(cls, runs: Mapping[str, RunRecord]) -> ColumnTally:
        """From scratch; Counter counts an iterable of keys in C, so one pass per kind of key."""
        records = list(runs.values())
        return cls(
            runs,
            Counter(chain.from_iterable(run.meta.summary.keys() for run in records)),
            Counter(chain.from_iterable(run.meta.hparams.keys() for run in records)),
            Counter(chain.from_iterable(run.side.stats.keys() for run in records)),
            Counter(chain.from_iterable(run.tags for run in records)),
        )

    def advanced(self, runs: Mapping[str, RunRecord], changed: Collection[str]) -> ColumnTally:
        """The counts over `runs`: each changed run's old record subtracted, its new one added
        (never a rebuild: that costs as much per run as advancing does)."""
        tally = ColumnTally(runs, self.summary.copy(), self.hparams.copy(), self.stats.copy(), self.tags.copy())
        for run_id in changed:
            if (old := self.runs.get(run_id)) is not None:
                tally._count(old, -1)
            if (new := runs.get(run_id)) is not None:
                tally._count(new, +1)
        return tally

    def rebound(self, runs: Mapping[str, RunRecord]) -> ColumnTally:
        return replace(self, runs=runs)

    def leading_ids(self, count: int) -> tuple[str, ...]:
        return ()

    def _count(self, run: RunRecord, sign: int) -> None:
        """Only for a tally being advanced: add (or take away) one run's keys."""
        _tally(self.summary, run.meta.summary, sign)
        _tally(self.hparams, run.meta.hparams, sign)
        _tally(self.stats, run.side.stats, sign)
        _tally(self.tags, run.tags, sign)


def _tally(counter: Counter[str], keys: Iterable[str], sign: int) -> None:
    for key in keys:
        count = counter[key] + sign
        if count:
            counter[key] = count
        else:  # gone from every run: not offered any more
            del counter[key]


def most_common(counter: Counter[str], limit: int) -> list[str]:
    """The `limit` most frequent keys, ties by name: the same whichever order the runs were counted in."""
    return [key for key, _ in sorted(counter.items(), key=lambda item: (-item[1], item[0]))[:limit]]
