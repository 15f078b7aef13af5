"""The immutable picture of every run that views read without locks, and what is derived from it."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TypeVar

from .records import RunRecord

T = TypeVar("T")


class SnapshotMemo:
    """Results derived from one snapshot (sorted orders, column lists), kept as long as it is current.

    A snapshot never changes, so nothing here goes stale; the next poll's
    snapshot starts with an empty memo. Two threads may compute the same key
    at once: both get a correct result and one of them is kept.
    """

    __slots__ = ("_results",)

    def __init__(self) -> None:
        self._results: dict = {}

    def get(self, key, compute: Callable[[], T]) -> T:
        results = self._results
        if key not in results:
            results[key] = compute()
        return results[key]


@dataclass(frozen=True, slots=True)
class Snapshot:
    """Everything views need, immutable: swap it whole, read it without locks."""

    runs: dict[str, RunRecord] = field(default_factory=dict)
    version: int = 0
    phase: str = "starting"  # starting -> walking (first walk) -> ready
    dirs_done: int = 0
    dirs_total: int = 0
    scanned_at: float | None = None
    memo: SnapshotMemo = field(default_factory=SnapshotMemo, compare=False, repr=False)

    def get(self, run_id: str) -> RunRecord | None:
        return self.runs.get(run_id)
