"""One folder of a walk: list it (or reuse its listing), and if it is a run, probe it.

The scanner's walk and the processes of a cold first walk (walk_processes.py) both visit folders
through a `FolderVisitor`, so a run found either way gets the very same record.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Mapping
from dataclasses import dataclass

from ..edits import OverlayStore
from .cadence import sweep_turn_of
from .probe import broken_run, check_run
from .records import RunRecord, printable_id
from .walker import ListingCache, Visit

log = logging.getLogger(__name__)

Item = tuple[str, bool, int, "str | None"]  # a folder to visit: path, inside an spt run, root index, subtree top
Result = tuple["Visit | None", "RunRecord | None", bool]  # its visit, its run's record, whether below is inside spt


def run_id_of(path: str, root_index: int, roots: list[tuple[str, str]]) -> str:
    """The path relative to its root, behind the root's label when there are several.

    A root that is itself a run is named by its folder.
    """
    label, root = roots[root_index]
    several = len(roots) > 1
    if path == root:
        return printable_id(label if several else (os.path.basename(root) or "run"))
    relative = printable_id(path[len(root) + 1 :])  # an id goes into URLs and pages: no raw bytes, one line
    return f"{label}/{relative}" if several else relative


@dataclass(frozen=True, slots=True)
class FolderVisitor:
    """What one walk needs to visit a folder: call it with an Item."""

    roots: list[tuple[str, str]]  # (label, absolute path)
    listings: ListingCache
    known: Mapping[str, RunRecord]  # the runs as last published: unchanged ones are kept as they are
    now: float
    sweep_turn: int  # the poll (modulo FULL_SWEEP_EVERY) whose runs are re-stat-ed even if unchanged
    stale_after: float
    overlays: OverlayStore

    def __call__(self, item: Item) -> Result:
        path, inside_spt, root, _ = item
        seen = self.listings.visit(path)
        kind = seen.listing.run_kind if seen is not None else None
        if seen is None or kind is None or (inside_spt and kind != "spt"):
            return seen, None, inside_spt
        run_id = run_id_of(path, root, self.roots)
        previous = self.known.get(run_id)
        full_sweep = previous is not None and sweep_turn_of(path) == self.sweep_turn
        try:
            record = check_run(run_id, seen, previous, full_sweep, self.now, self.stale_after, self.overlays)
        except Exception as exc:  # one run's files must never hide the others: list it with the reason
            record = broken_run(run_id, path, exc, previous)
            if previous is None or previous.error != record.error:  # once, not every poll
                log.exception("could not read run %s", path)
        return seen, record, inside_spt or kind == "spt"

    def batch(self, items: list[Item]) -> list[Result]:
        return [self(item) for item in items]


def below(item: Item, result: Result) -> list[Item]:
    """The folders to visit under a visited one, in name order, as part of the same subtree."""
    seen, _, inside_spt = result
    if seen is None:
        return []
    _, _, root, top = item
    prefix = seen.path + os.sep
    return [(prefix + name, inside_spt, root, top) for name in seen.listing.subdirs]
