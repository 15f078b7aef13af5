"""How often each part of the tree is looked at: cold subtrees, the full sweep, the pause between polls.

Big trees are mostly old finished runs that never change again. A subtree (a folder of a level
with more than VISIT_BATCH folders, and all below it) whose runs all finished more than
COLD_AFTER_S ago in folders unchanged as long is walked only one poll in COLD_TIER (its turn is
a hash of its path, so the work spreads evenly); the other polls carry its runs over as they were.
New runs still show up at once in the folders that are walked every poll: the roots, small
levels, and every subtree with a running or recent run. A viewer edit walks its subtree at once.
"""

from __future__ import annotations

import os
import zlib
from collections.abc import Sequence
from dataclasses import dataclass

from .probe import INFERRED_END
from .records import FINISHED_STATUSES, RunRecord
from .walker import ListingCache

COLD_AFTER_S = 3600.0
COLD_TIER = 20
COLD_STATUSES = FINISHED_STATUSES | {INFERRED_END}
# Each finished run's files are also re-stat-ed once every this many polls, even in an unchanged
# directory, catching in-place rewrites that a rename-based writer never does but a hand edit
# might. Runs take their turn spread over the polls (by a hash of their path), so no single poll
# pays for all of them (a whole-tree sweep took 26-103 s on NFS without attribute caching).
FULL_SWEEP_EVERY = 60
# Polling uses at most this share of a core, whatever --poll says: a poll that took 0.4 s of CPU
# (100,000 runs) waits 9.6 s before the next. 4 %, so the whole idle viewer (its server loop, the
# views' upkeep after a poll) stays under 5 %: at 5 % it measured 5.5 %. CPU, not wall time: a
# poll waiting on a slow NFS server costs the node nothing and should not delay the next one for it.
POLL_CPU_SHARE = 0.04


def turn_of(path: str, every: int) -> int:
    """The poll (modulo `every`) that is this path's turn: a hash, so turns spread evenly."""
    return zlib.crc32(path.encode(errors="surrogateescape")) % every


def sweep_turn_of(path: str) -> int:
    """The poll (modulo FULL_SWEEP_EVERY) on which this run's files are re-stat-ed even if unchanged."""
    return turn_of(path, FULL_SWEEP_EVERY)


def next_poll_in(cpu_seconds: float, poll_interval: float) -> float:
    """Seconds to wait after a poll that took `cpu_seconds` of CPU (see POLL_CPU_SHARE)."""
    return max(poll_interval, cpu_seconds * (1 / POLL_CPU_SHARE - 1))


@dataclass(slots=True)
class Subtree:
    """What a walk finds in a folder of a big level and below it (itself included), as it goes."""

    dirs: list[str]
    run_ids: list[str]


class KeptSubtree(tuple):
    """A subtree as the last walk of it left it, until the next: one tuple, (its cold flag and turn
    as one small int, how many folders, the folders..., the run ids...). There is one per job folder
    of a sweep: an object with a tuple of folders and a list of runs took 280 bytes each, this 80
    (20 MB at 100,000 runs)."""

    __slots__ = ()

    def __new__(cls, dirs: Sequence[str], run_ids: Sequence[str], cold: bool, turn: int) -> KeptSubtree:
        return super().__new__(cls, (turn << 1 | cold, len(dirs), *dirs, *run_ids))

    @property
    def cold(self) -> bool:
        """Everything in it finished and unchanged for COLD_AFTER_S."""
        return bool(self[0] & 1)

    @property
    def turn(self) -> int:
        """The poll (modulo COLD_TIER) that walks it while it is cold."""
        return self[0] >> 1

    @property
    def dirs(self) -> tuple[str, ...]:
        return self[2 : 2 + self[1]]

    @property
    def run_ids(self) -> tuple[str, ...]:
        return self[2 + self[1] :]


def settled_long_ago(run: RunRecord, old: float) -> bool:
    """A run that will not change: finished without error, its last sign of life older than `old`."""
    if run.error is not None or run.status not in COLD_STATUSES:
        return False
    last = run.last_activity
    return last is not None and last < old


def _all_settled(subtree: Subtree, found: dict[str, RunRecord], listings: ListingCache, long_ago: float) -> bool:
    """Every run of the subtree settled long ago, and every folder unchanged since. (Loops, not all()
    over generators: this runs for each of a first walk's 100,000 job folders, in the server.)"""
    for path in subtree.dirs:
        if listings.mtime_s(path) >= long_ago:
            return False
    for run_id in subtree.run_ids:  # noqa: SIM110 (a loop: see above)
        if not settled_long_ago(found[run_id], long_ago):
            return False
    return True


class ColdSubtrees:
    """What each walk found in each subtree of a big level (and outside them), to skip the cold ones.

    A walk starts from the runs last known: `start` drops the runs outside every subtree (always
    walked), `skip` drops those of the subtrees it keeps in the frontier; what the walk finds is
    added back, so a skipped subtree costs nothing per run. `settle` then forgets what is gone and
    notes which walked subtrees are cold.
    """

    def __init__(self) -> None:
        self.subtrees: dict[str, KeptSubtree] = {}  # by top folder
        self.loose = Subtree([], [])  # the folders and runs outside them, as the last walk found

    def start(self, found: dict[str, RunRecord]) -> None:
        for run_id in self.loose.run_ids:
            found.pop(run_id, None)

    def skip(self, frontier: list, found: dict[str, RunRecord], poll: int) -> list:
        """The frontier without the cold subtrees whose turn it is not (their runs stay in `found` as they
        were); the subtrees it keeps drop their old runs from `found`, to be found again."""
        turn = poll % COLD_TIER
        kept = []
        for item in frontier:
            subtree = self.subtrees.get(item[0])
            if subtree is not None and subtree.cold and subtree.turn != turn:
                continue
            kept.append(item)
            if subtree is not None:
                for run_id in subtree.run_ids:
                    found.pop(run_id, None)
        return kept

    def settle(
        self,
        first_walk: bool,
        loose: Subtree,
        walked: dict[str, Subtree],
        tops: set[str],
        found: dict[str, RunRecord],
        listings: ListingCache,
        now: float,
    ) -> None:
        """After a walk: drop the runs and listings of subtrees no longer listed (`tops` are those listed),
        the listings of folders that walked parts no longer hold, and note which walked subtrees are cold."""
        if first_walk:  # everything was walked: keep exactly what was seen (the index may hold folders long gone)
            listings.forget_missing({*loose.dirs, *(path for subtree in walked.values() for path in subtree.dirs)})
        else:
            listings.forget(set(self.loose.dirs) - set(loose.dirs))
            for top, subtree in walked.items():
                before = self.subtrees.get(top)
                if before is not None:
                    listings.forget(set(before.dirs) - set(subtree.dirs))
        for top in self.subtrees.keys() - tops:
            gone = self.subtrees.pop(top)
            listings.forget(gone.dirs)
            for run_id in gone.run_ids:
                found.pop(run_id, None)
        self.loose = loose
        long_ago = now - COLD_AFTER_S
        for top, subtree in walked.items():
            cold = _all_settled(subtree, found, listings, long_ago)
            self.subtrees[top] = KeptSubtree(subtree.dirs, subtree.run_ids, cold, turn_of(top, COLD_TIER))

    def warm_up(self, path: str) -> None:
        """Walk the subtree holding `path` on the next poll, whatever its tier."""
        while path and path not in self.subtrees:
            parent = os.path.dirname(path)
            path = "" if parent == path else parent
        self.subtrees.pop(path, None)
