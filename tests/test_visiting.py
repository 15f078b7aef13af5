"""The order and the threads a walk visits a big level's folders in (scan/visiting.py)."""

from __future__ import annotations

import os
from concurrent.futures import ThreadPoolExecutor

import sptweb.scan.visiting as visiting
from sptweb.scan.visiting import newest_first, visit_below

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
