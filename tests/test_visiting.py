"""The order and the threads a walk visits a big level's folders in (scan/visiting.py)."""

from __future__ import annotations

import os
from concurrent.futures import ThreadPoolExecutor

import sptweb.scan.visiting as visiting
import sptweb.scan.walker as walker
from sptweb.scan.visiting import newest_first, visit_below
from sptweb.scan.walker import ListingCache

TREE = {f"job{index:03d}": [f"job{index:03d}/run"] for index in range(200)}
EVERY_FOLDER = sorted([*TREE, *(child for children in TREE.values() for child in children)])


def walk(pool: ThreadPoolExecutor) -> list[str]:
    visited: list[str] = []

    def visit_batch(folders: list[str]) -> list[list[str]]:
        visited.extend(folders)
        return [TREE.get(folder, []) for folder in folders]

    def expand(folders, results, left: int) -> list[str]:
        return [child for children in results for child in children]

    visit_below(list(TREE), visit_batch, expand, pool)
    return visited


def test_a_folder_s_children_are_visited_before_the_rest_of_its_level():
    with ThreadPoolExecutor(2) as pool:
        visited = walk(pool)
    assert sorted(visited) == EVERY_FOLDER
    assert visited.index("job000/run") < visited.index("job100")  # not after the whole level
    assert visited.index("job070/run") < visited.index("job150")


def test_on_the_pool_every_folder_is_visited_once(monkeypatch):
    monkeypatch.setattr(visiting, "WAITING_VISIT_S", -1.0)  # every visit "waits", as on NFS
    with ThreadPoolExecutor(4) as pool:
        visited = walk(pool)
    assert sorted(visited) == EVERY_FOLDER


def test_newest_folders_come_first_and_vanished_ones_last(tmp_path):
    for name, age in (("old", 300), ("new", 10), ("middle", 100)):
        (tmp_path / name).mkdir()
        os.utime(tmp_path / name, (1_700_000_000 - age, 1_700_000_000 - age))
    items = [(str(tmp_path / name), False) for name in ("gone", "old", "new", "middle")]
    assert [os.path.basename(item[0]) for item in newest_first(items)] == ["new", "middle", "old", "gone"]


class CountingPool(ThreadPoolExecutor):
    def __init__(self) -> None:
        super().__init__(4)
        self.tasks = 0

    def map(self, fn, *iterables, **kwargs):
        chunks = list(iterables[0])
        self.tasks += len(chunks)
        return super().map(fn, chunks, **kwargs)


def make_aged_folders(root, count: int) -> list[tuple[str, bool]]:
    for index in range(count):
        folder = root / f"job{index:04d}"
        folder.mkdir()
        os.utime(folder, (1_700_000_000 + index, 1_700_000_000 + index))
    return [(str(root / f"job{index:04d}"), False) for index in range(count)]


def test_when_stats_wait_the_rest_of_a_big_level_is_stat_ed_on_the_pool(tmp_path, monkeypatch):
    items = make_aged_folders(tmp_path, 300)
    monkeypatch.setattr(visiting, "WAITING_VISIT_S", -1.0)  # every stat "waits", as over NFS
    with CountingPool() as pool:
        ordered = newest_first(items, pool)
    assert pool.tasks == 4  # the 236 folders after the timed first 64, in tasks of 64
    assert ordered == items[::-1]  # newest first, whichever thread stat-ed them


def test_on_a_fast_disk_a_big_level_is_stat_ed_inline(tmp_path):
    items = make_aged_folders(tmp_path, 300)
    with CountingPool() as pool:
        ordered = newest_first(items, pool)
    assert pool.tasks == 0
    assert ordered == items[::-1]


def test_a_big_listing_asks_for_attributes_as_it_reads(tmp_path, monkeypatch):
    """One stat every ASK_ATTRIBUTES_EVERY entries keeps NFS (and FUSE) replying with READDIRPLUS."""
    for index in range(300):
        (tmp_path / f"job{index:04d}").mkdir()
    asked: list[str] = []
    monkeypatch.setattr(walker, "_ask_for_attributes", lambda entry: asked.append(entry.name))
    seen = ListingCache().visit(str(tmp_path))
    assert seen is not None and len(seen.listing.subdirs) == 300
    assert len(asked) == 300 // walker.ASK_ATTRIBUTES_EVERY == 2


def test_asking_for_the_attributes_of_an_entry_gone_meanwhile_is_harmless(tmp_path):
    (tmp_path / "gone").mkdir()
    with os.scandir(tmp_path) as entries:
        entry = next(iter(entries))
        (tmp_path / "gone").rmdir()
        walker._ask_for_attributes(entry)  # no exception: the listing keeps what it read
    assert not (tmp_path / "gone").exists()


def test_a_listing_moved_to_another_path_string_keeps_everything_else():
    import dataclasses

    from sptweb.scan.walker import Listing

    listing = Listing(7, ("run",), True, frozenset({"sidecar.json"}), ("events.out.tfevents.1",), "/a/run")
    moved = listing.at("/b/run")
    assert moved.path == "/b/run"
    others = [field.name for field in dataclasses.fields(Listing) if field.name != "path"]
    assert [getattr(moved, name) for name in others] == [getattr(listing, name) for name in others]
