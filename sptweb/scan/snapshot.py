"""The immutable picture of every run that views read without locks, and what is derived from it."""

from __future__ import annotations

import functools
import hashlib
import threading
from collections.abc import Callable, Hashable, Iterable, Mapping
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any, Protocol, TypeVar, runtime_checkable

from .records import RunRecord

T = TypeVar("T")

MAX_CARRIED = 32  # incremental entries handed on to the next snapshot; the least recently used go first
MAX_PENDING_SETS = 64  # change sets a carried entry keeps apart before they are merged into one
MAX_STORED = 4  # incremental entries the persisted index keeps (each holds every run id once)

_MISSING = object()


@runtime_checkable
class Storable(Protocol):
    """An incremental entry that can be kept in the persisted index and serve the next process:
    the table's sorted views and column tally (query/live_views.py)."""

    def rebound(self, runs: Mapping) -> Storable:
        """The same entry over other runs with the same records ({} to store it, the loaded runs after)."""
        ...

    def leading_ids(self, count: int) -> Iterable[str]:
        """The runs the first `count` rows show, in either direction: their records are stored too."""
        ...

    def share_ids(self, runs: Mapping) -> None:
        """Hold the records' own run id strings instead of equal copies: a restored entry's were
        unpickled apart from the records (7 MB per view at 100,000 runs). Safe while published."""
        ...


@dataclass(frozen=True, slots=True)
class _Carried:
    """An incremental entry of an older snapshot, and the run ids changed since it was current."""

    entry: Any
    pending: tuple[frozenset[str], ...]  # one change set per snapshot since, oldest first

    def changed_ids(self) -> frozenset[str]:
        return self.pending[0] if len(self.pending) == 1 else frozenset().union(*self.pending)

    def one_more(self, changed: frozenset[str]) -> _Carried:
        """Carried over one more snapshot nobody asked for it in."""
        pending = (*self.pending, changed)
        if len(pending) > MAX_PENDING_SETS:  # an entry not asked for in a long time: keep one set, not hundreds
            pending = (frozenset().union(*pending),)
        return _Carried(self.entry, pending)


class SnapshotMemo:
    """Results derived from one snapshot (sorted orders, column lists), kept as long as it is current.

    A snapshot never changes, so nothing here goes stale. Two kinds of entries:

    - `get`: computed from this snapshot alone; the next snapshot starts without it.
    - `incremental`: carried to the next snapshot with the ids of the runs that changed
      in between, and brought up to date there by the caller's `advance` on first use,
      so a poll that changed one run costs one run's work, not all of them. At most
      MAX_CARRIED keys are carried, so one-off queries do not pile up.

    The memo knows nothing of what an entry holds: it stores opaque values and calls the
    functions its callers pass. Two threads may compute (or advance) the same key at once:
    both get a correct result and one of them is kept; `compute` and `advance` must not
    change an entry they are given, as older snapshots may still be reading it.
    """

    __slots__ = ("_carried", "_incremental", "_lock", "_results")

    def __init__(self, previous: SnapshotMemo | None = None, changed: Iterable[str] | None = None) -> None:
        """`previous`: the memo of the snapshot this one replaces; `changed`: the ids of the runs added,
        changed or removed since (None: unknown, so nothing is carried)."""
        self._results: dict = {}
        self._incremental: dict = {}  # key -> entry for this snapshot, in order of first use
        self._lock = threading.Lock()
        carried: dict[Hashable, _Carried] = {}
        if previous is not None and changed is not None:
            carried = previous._carry(frozenset(changed))
        self._carried = carried  # key -> entry of an older snapshot, not yet brought up to date

    def get(self, key, compute: Callable[[], T]) -> T:
        results = self._results
        if key not in results:
            results[key] = compute()
        return results[key]

    def incremental(self, key, compute: Callable[[], T], advance: Callable[[T, frozenset[str]], T]) -> T:
        """The entry for `key`: this snapshot's, else an older one advanced over the runs changed
        since (`advance(entry, changed_ids)`), else `compute()`; carried to the next snapshot."""
        entry = self._incremental.get(key, _MISSING)
        if entry is not _MISSING:
            return entry
        with self._lock:
            carried = self._carried.get(key)
        if carried is None:
            entry = compute()
        else:
            changed = carried.changed_ids()
            entry = advance(carried.entry, changed) if changed else carried.entry
        with self._lock:
            entry = self._incremental.setdefault(key, entry)
            self._carried.pop(key, None)
        return entry

    def _carry(self, changed: frozenset[str]) -> dict[Hashable, _Carried]:
        """What the next snapshot inherits: this snapshot's incremental entries (the most recently
        used) and the older ones nobody asked for here, at most MAX_CARRIED keys."""
        with self._lock:
            unasked = [(key, carried.one_more(changed)) for key, carried in self._carried.items()]
            used = [(key, _Carried(entry, (changed,))) for key, entry in self._incremental.items()]
        newest_last = unasked + used
        return dict(newest_last[-MAX_CARRIED:])

    def stored_entries(self) -> dict:
        """This snapshot's storable entries, the first MAX_STORED asked for, detached from its runs;
        each with what made it (see made_by), so another sptweb ignores them."""
        with self._lock:
            entries = [(key, entry) for key, entry in self._incremental.items() if isinstance(entry, Storable)]
        return {key: (entry.rebound({}), made_by(type(entry))) for key, entry in entries[:MAX_STORED]}

    @classmethod
    def restored(cls, stored: dict, runs: Mapping) -> SnapshotMemo:
        """A memo whose entries are `stored_entries()` of another process, over `runs`, which must hold
        the same records they were derived from (the persisted index saves both together)."""
        memo = cls()
        for key, (entry, shape) in stored.items():
            if isinstance(entry, Storable) and shape == made_by(type(entry)):
                memo._incremental[key] = entry.rebound(runs)
        return memo

    def share_ids(self, runs: Mapping) -> None:
        """Once a restart has loaded every record: see Storable.share_ids."""
        with self._lock:
            entries = [*self._incremental.values(), *(carried.entry for carried in self._carried.values())]
        for entry in entries:
            if isinstance(entry, Storable):
                entry.share_ids(runs)

    def carried_keys(self) -> list:
        """Keys an older snapshot handed on and nobody has asked for yet (for tests and diagnostics)."""
        with self._lock:
            return list(self._carried)


def made_by(cls: type) -> tuple[str, ...]:
    """The entry's class and fields, and a hash of sptweb's source: a stored view is advanced run by
    run after a restart, never rebuilt, so one that older code sorted or filtered differently would
    stay wrong. Any other source, and it is built afresh (a second at 100,000 runs)."""
    return (source_fingerprint(), cls.__qualname__, *(item.name for item in fields(cls)))


@functools.cache
def source_fingerprint() -> str:
    digest = hashlib.sha256()
    for path in sorted(Path(__file__).resolve().parent.parent.rglob("*.py")):
        digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


@dataclass(frozen=True, slots=True)
class Snapshot:
    """Everything views need, immutable: swap it whole, read it without locks."""

    runs: Mapping[str, RunRecord] = field(default_factory=dict)  # a dict; a LoadingRuns after a restart
    version: int = 0
    phase: str = "starting"  # starting -> walking (first walk) -> ready
    dirs_done: int = 0
    dirs_total: int = 0
    scanned_at: float | None = None
    memo: SnapshotMemo = field(default_factory=SnapshotMemo, compare=False, repr=False)

    def get(self, run_id: str) -> RunRecord | None:
        return self.runs.get(run_id)
