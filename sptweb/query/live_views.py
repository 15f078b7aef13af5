"""The run table's orders and counts, kept up to date from each poll's changes instead of per request.

A `SortedView` holds the runs one rule admits, in the order of one sort column, with the counts the
table's header shows. A `ColumnTally` counts the summary keys, hparams, statistics and tags in use.
Both are incremental memo entries (scan/snapshot.py): the memo hands them to the next snapshot with
the ids of the runs changed in between, and `advanced` re-places just those runs, so a request after
a poll that changed one run evaluates one run, not 100,000. Pure: no Flask, no I/O.
"""

from __future__ import annotations

import math
from array import array
from bisect import bisect_left, bisect_right, insort
from collections import Counter
from collections.abc import Callable, Collection, Iterable, Mapping
from dataclasses import dataclass, field, replace
from itertools import chain, pairwise
from operator import itemgetter

from ..scan.records import ColumnReader, RunRecord, column_reader

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

# A present value's place: a number, or a text (lowercased); see place.
Key = float | str


def follows_clock(column: str, filter_text: str) -> bool:
    """Whether a view sorted by `column` under `filter_text` can change order with no change set.
    Any mention of a clock column in the filter counts: a false alarm only costs a per-snapshot view."""
    return column in CLOCK_COLUMNS or any(name in filter_text for name in CLOCK_COLUMNS)


def has_value(value) -> bool:
    """A value a run can be sorted by; runs without one (None, "", NaN) go last."""
    return value is not None and value != "" and not (isinstance(value, float) and math.isnan(value))


def place(value) -> Key | None:
    """Where a value sorts: numbers (as floats) before texts (lowercased), so a column of mixed types
    still has one order; None for no value."""
    if not has_value(value):
        return None
    return float(value) if isinstance(value, (int, float)) else str(value).lower()


def sort_key(value) -> tuple[int, float, str]:
    """A value's place as one tuple (numbers first), for a value that has one."""
    key = place(value)
    return (1, 0.0, key) if isinstance(key, str) else (0, key, "")  # type: ignore[return-value]


@dataclass(frozen=True, slots=True)
class ViewRule:
    """Which runs a view holds (`classify`) and in what order (`column`, ascending; read backwards
    for a descending sort). `now` only matters for CLOCK_COLUMNS."""

    column: str
    classify: Classify
    now: float | None = None
    read: ColumnReader = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "read", column_reader(self.column))

    def key(self, run: RunRecord) -> Key | None:
        """Where the run sorts (see place); None: it has no value (it goes last)."""
        return place(self.read(run, self.now))


class Ranked:
    """Runs with a value of one kind in (key, run id) order, keys and ids side by side.

    No object per run: numbers sit in an array of doubles and the ids are the records' own strings.
    A (kind, number, text, id) tuple per run, with its float, made a 100,000-run view 22 MB.
    Changed only while its view is being advanced (a copy), never once published.
    """

    __slots__ = ("ids", "keys")

    def __init__(self, keys: array | list[str], ids: list[str]) -> None:
        self.keys = keys  # array("d") of numbers, or list of texts: ascending
        self.ids = ids  # ties (equal keys) by run id

    @classmethod
    def sorted(cls, pairs: list[tuple[Key, str]], numbers: bool) -> Ranked:
        """By key, ties by run id. Sorted by the key alone, then each stretch of equal keys by id:
        sorting (key, id) tuples compared ids all along the long stretches of equal values an hparam
        has (100,000 runs with 5 values: 308 ms, against 111 ms this way; 130 against 104 when all
        keys differ)."""
        pairs.sort(key=itemgetter(0))
        keys = [key for key, _ in pairs]
        ids = [run_id for _, run_id in pairs]
        stretch_ends = [end for end, (before, key) in enumerate(pairwise(keys), 1) if key != before]
        start = 0
        for end in (*stretch_ends, len(keys)):
            if end - start > 1:
                ids[start:end] = sorted(ids[start:end])
            start = end
        return cls(array("d", keys) if numbers else keys, ids)

    def copy(self) -> Ranked:
        return Ranked(self.keys[:], self.ids.copy())  # memmoves: no Python work per run

    def add(self, key: Key, run_id: str) -> None:
        at = self._position(key, run_id)
        self.keys.insert(at, key)  # type: ignore[arg-type]
        self.ids.insert(at, run_id)

    def remove(self, key: Key, run_id: str) -> None:
        at = self._position(key, run_id)
        if at == len(self.ids) or self.ids[at] != run_id or self.keys[at] != key:
            raise LookupError(f"sorted view out of step with its runs: {run_id} is not where it was counted")
        del self.keys[at]
        del self.ids[at]

    def _position(self, key: Key, run_id: str) -> int:
        """Bisection: to the run's key, then among the runs with that key to its id."""
        low = bisect_left(self.keys, key)  # type: ignore[arg-type]
        return bisect_left(self.ids, run_id, low, bisect_right(self.keys, key, low))  # type: ignore[arg-type]

    def __reduce__(self):  # slots and no __dict__: pickled (the persisted index) as its two sequences
        return Ranked, (self.keys, self.ids)


@dataclass(frozen=True, slots=True)
class SortedView:
    """The runs a rule shows, sorted, and what the table's header counts about them.

    Never changed once built (older snapshots may still be reading it): `advanced` returns a new one.
    Order, exactly as `table.sort_runs`: runs with a number by (number, run id), then runs with a
    text by (text, run id), that whole part reversed for a descending sort; then runs without a
    value by run id, in either direction.
    """

    runs: Mapping[str, RunRecord]  # the snapshot's runs this view reflects: its ids resolve here
    numbers: Ranked  # shown runs whose value is a number
    texts: Ranked  # shown runs whose value is a text
    missing: list[str]  # shown runs without a value, by run id
    status_counts: Counter[str]  # status_group -> shown runs
    hidden: int  # runs the rule hides (archived ones, while the table leaves them out)

    def __len__(self) -> int:
        return len(self.numbers.ids) + len(self.texts.ids) + len(self.missing)

    @classmethod
    def build(cls, runs: Mapping[str, RunRecord], rule: ViewRule) -> SortedView:
        """From scratch: every run classified once, one sort."""
        numbers: list[tuple[Key, str]] = []
        texts: list[tuple[Key, str]] = []
        missing: list[str] = []
        status_counts: Counter[str] = Counter()
        hidden = 0
        classify, key_of, groups = rule.classify, rule.key, []  # (locals: this runs per run, 100,000 times)
        for run in runs.values():
            verdict = classify(run)
            if verdict == SHOWN:
                key = key_of(run)
                if key is None:
                    missing.append(run.run_id)
                else:
                    (texts if isinstance(key, str) else numbers).append((key, run.run_id))
                groups.append(run.status_group)
            elif verdict == HIDDEN:
                hidden += 1
        status_counts.update(groups)  # (one count in C, not one `+= 1` per run)
        missing.sort()
        return cls(
            runs,
            Ranked.sorted(numbers, numbers=True),
            Ranked.sorted(texts, numbers=False),
            missing,
            status_counts,
            hidden,
        )

    def advanced(self, runs: Mapping[str, RunRecord], changed: Collection[str], rule: ViewRule) -> SortedView:
        """This view for `runs`, which differ from `self.runs` only in the `changed` ids: each changed
        run is taken out as it was counted (its old record, classified again: records are immutable,
        so the verdict is the same) and put back as it is now, if it still exists."""
        if len(changed) * REBUILD_RATIO > len(runs):
            return SortedView.build(runs, rule)
        numbers, texts, missing = self.numbers.copy(), self.texts.copy(), self.missing.copy()
        status_counts, hidden = self.status_counts.copy(), self.hidden
        for run_id in changed:
            for run, sign in ((self.runs.get(run_id), -1), (runs.get(run_id), +1)):
                if run is None:  # added (no old record) or removed (no new one)
                    continue
                verdict = rule.classify(run)
                if verdict == SHOWN:
                    _place(numbers, texts, missing, rule.key(run), run_id, sign)
                    status_counts[run.status_group] += sign
                elif verdict == HIDDEN:
                    hidden += sign
        return SortedView(runs, numbers, texts, missing, +status_counts, hidden)

    def ids(self, start: int, stop: int, descending: bool) -> list[str]:
        """Run ids at display positions start..stop-1: O(stop - start)."""
        if descending:
            parts = ((self.texts.ids, True), (self.numbers.ids, True), (self.missing, False))
        else:
            parts = ((self.numbers.ids, False), (self.texts.ids, False), (self.missing, False))
        shown: list[str] = []
        for part, backwards in parts:  # positions start..stop-1 counted from this part's first
            count = len(part)
            low, high = max(start, 0), min(stop, count)
            if low < high:
                shown += part[count - high : count - low][::-1] if backwards else part[low:high]
            start, stop = start - count, stop - count
            if stop <= 0:
                break
        return shown

    def records(self, start: int, stop: int, descending: bool) -> list[RunRecord]:
        # (.get: a restart whose stored records proved unreadable has only the first pages; see loading_runs)
        return [run for run_id in self.ids(start, stop, descending) if (run := self.runs.get(run_id)) is not None]

    # Storable (scan/snapshot.py): the persisted index keeps the table's views for the next start.
    def rebound(self, runs: Mapping[str, RunRecord]) -> SortedView:
        return replace(self, runs=runs)

    def leading_ids(self, count: int) -> list[str]:
        return self.ids(0, count, descending=False) + self.ids(0, count, descending=True)

    def share_ids(self, runs: Mapping[str, RunRecord]) -> None:
        for ids in (self.numbers.ids, self.texts.ids, self.missing):
            # One slice assignment: a reader on another thread sees the old ids or the new, all equal.
            ids[:] = [run.run_id if (run := runs.get(run_id)) is not None else run_id for run_id in ids]


def _place(numbers: Ranked, texts: Ranked, missing: list[str], key: Key | None, run_id: str, sign: int) -> None:
    """Insert (sign +1) or remove (sign -1) one run's place, found by bisection."""
    if key is not None:
        ranked = texts if isinstance(key, str) else numbers
        ranked.add(key, run_id) if sign > 0 else ranked.remove(key, run_id)
        return
    if sign > 0:
        insort(missing, run_id)
        return
    index = bisect_left(missing, run_id)
    if index == len(missing) or missing[index] != run_id:
        raise LookupError(f"sorted view out of step with its runs: {run_id} is not where it was counted")
    del missing[index]


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

    def share_ids(self, runs: Mapping[str, RunRecord]) -> None:
        pass  # holds no run ids

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
