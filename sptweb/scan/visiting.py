"""In what order, and on which threads, a walk visits the folders of a big level and all below them.

A big level is one with more than VISIT_BATCH folders (the `<job>_<task>/` folders of sweeps).
The scanner hands over its folders and two functions: `visit_batch` (list and probe some folders)
and `expand` (take in their results, return the folders found below them).
"""

from __future__ import annotations

import os
import time
from collections import deque
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

# Folders visited per batch inline, and sampled per big level.
VISIT_BATCH = 64
# Threads only pay off when directory visits wait on the network: on a local disk a visit costs
# ~20 µs of CPU and threads just fight over the GIL (10,000 runs: 1.0 s walking inline, 2.6 s
# with 16 threads on 2 cores). So each big level first visits one batch inline and measures how
# much of its time was waiting (wall minus the process's CPU: parsing a big sidecar is CPU, not
# waiting, however long it takes, and so is a request thread holding the GIL meanwhile: counted
# as waiting, one page load sent a 100,000-run first walk to the pool and made it take 47 s
# instead of 25 s); past this per visit, the rest goes to the pool.
WAITING_VISIT_S = 50e-6
# On the pool: folders per task, and tasks at once: enough to keep every thread busy, few enough
# that a folder's children are visited well within the attribute cache's few seconds after it was
# listed (at 128 tasks of 64, 100,000 job folders over NFS cost a second LOOKUP each).
POOL_BATCH = 16
IN_FLIGHT_BATCHES = 96

Item = tuple  # a folder to visit, as the scanner describes it; its first element is the path
VisitBatch = Callable[[list], list]
Expand = Callable[[list, list, int], list]  # (folders, their results, folders still to visit) -> folders below


def visit_below(
    frontier: list,
    visit_batch: VisitBatch,
    expand: Expand,
    pool: ThreadPoolExecutor,
    elsewhere: Callable[[list], list] | None = None,
) -> float:
    """Visit `frontier` and every folder below it; return the sample's waiting per visit (seconds).

    Inline on a fast disk (or `elsewhere`, when given: it visits folders and all below them in
    other processes and returns those it could not), on the pool on a slow one. Folders found go
    to the front of the queue, so a folder is visited soon after its parent is listed, not after
    the whole level: on NFS its entry (brought by the parent's READDIRPLUS) is still in the
    attribute cache, and a first walk shows runs from its first second.
    """
    todo: deque[Any] = deque(frontier)

    def take(size: int = VISIT_BATCH) -> list:
        return [todo.popleft() for _ in range(min(size, len(todo)))]

    def queue_first(children: list) -> None:
        todo.extendleft(reversed(children))

    sample = take()
    results, waiting = _waiting_per_item(visit_batch, sample)
    queue_first(expand(sample, results, len(todo)))
    if waiting < WAITING_VISIT_S:
        if elsewhere is not None:
            todo = deque(elsewhere(list(todo)))
        while todo:
            items = take()
            queue_first(expand(items, visit_batch(items), len(todo)))
        return waiting
    in_flight: deque = deque()  # (folders, future), oldest first
    while todo or in_flight:
        while todo and len(in_flight) < IN_FLIGHT_BATCHES:
            items = take(POOL_BATCH)
            in_flight.append((items, pool.submit(visit_batch, items)))
        items, future = in_flight.popleft()
        queue_first(expand(items, future.result(), len(todo) + POOL_BATCH * len(in_flight)))
    return waiting


def _waiting_per_item(work: Callable[[list], list], items: list) -> tuple[list, float]:
    """`work(items)`, and the seconds per item it spent waiting: its wall time minus this process's
    CPU time (see WAITING_VISIT_S)."""
    wall, cpu = time.perf_counter(), time.process_time()
    results = work(items)
    waiting = (time.perf_counter() - wall) - (time.process_time() - cpu)
    return results, waiting / max(1, len(items))


def newest_first(frontier: list, pool: ThreadPoolExecutor | None = None) -> list:
    """The folders by their mtime, newest first: where runs are live or were recently.

    One `stat` each. On NFS they are answered from the attributes the listing's READDIRPLUS
    replies brought (walker.ASK_ATTRIBUTES_EVERY), but each is a round trip under `noac`, or
    for entries the listing brought without attributes: 7,300 LOOKUPs one after the other took
    ~5 s of a 10,000-run first walk at 0.5 ms. So, as a walk does, the first batch is timed and
    the rest go to the pool when they wait.
    """
    todo = [item[0] for item in frontier]
    mtimes, waiting = _waiting_per_item(_mtimes_ns, todo[:VISIT_BATCH])
    rest = todo[VISIT_BATCH:]
    if pool is not None and waiting >= WAITING_VISIT_S and rest:
        chunks = [rest[start : start + STAT_CHUNK] for start in range(0, len(rest), STAT_CHUNK)]
        for chunk_mtimes in pool.map(_mtimes_ns, chunks):
            mtimes += chunk_mtimes
    else:
        mtimes += _mtimes_ns(rest)
    order = sorted(range(len(frontier)), key=mtimes.__getitem__, reverse=True)
    return [frontier[index] for index in order]


STAT_CHUNK = 64  # folders stat-ed per pool task (a task costs ~20 µs): 100,000 folders keep 64 threads busy


def _mtimes_ns(paths: list[str]) -> list[int]:
    return [_mtime_ns(path) for path in paths]


def _mtime_ns(path: str) -> int:
    try:
        return os.stat(path).st_mtime_ns
    except OSError:
        return 0  # gone or unreadable: last
