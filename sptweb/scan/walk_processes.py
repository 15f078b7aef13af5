"""A cold first walk on every core: the subtrees of a big level walked by worker processes.

A walk is Python, one folder at a time per process (the GIL), and a first walk costs ~0.25 ms of
CPU per run on a 2-core VM: 26 s for 100,000 runs, where its syscalls alone take 7 s. Worker
processes each take batches of subtree tops, visit them and every folder below (FolderVisitor:
the same code as the scanner's own walk, so the records are the same) and send back what they
found, pickled as the index pickles it (records by their fields). The scanner takes each batch in,
in the order it handed them out (newest first), so the table still fills as the walk goes.

Only for a first walk with nothing to reuse (no saved index: a restart reuses listings and
records that a worker does not have) on a disk where visits do not wait (on NFS the thread pool
hides the round trips; a worker visits one folder at a time).
"""

from __future__ import annotations

import logging
import multiprocessing
import os
import pickle
import threading
import time
from collections import deque
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool

from ..edits import OverlayStore
from . import index as index_store
from .folder_visit import FolderVisitor, Item, Result, below
from .walker import ListingCache, Visit

log = logging.getLogger(__name__)

# Subtree tops per task: enough that a task's pickling and start cost little, few enough that the
# first results (the newest folders) show early and the last task does not run alone for long.
TOPS_PER_TASK = 250
FIRST_TOPS_PER_TASK = 25  # each worker's first task: the newest folders, shown soon
# Below this many tops the processes' start (~0.5 s: a fresh interpreter imports sptweb) costs
# more than they save.
MIN_TOPS = 2_000
MAX_WORKERS = 16
WATCH_EVERY_S = 1.0  # how soon a worker notices that the server is gone

TakeIn = Callable[[list, list, int], object]  # (folders, their results, folders still to come)


def workers_for(tops: int, configured: int) -> int:
    """How many processes a cold first walk of `tops` subtrees uses (`configured`: 0 for one per
    core); 1: none, it walks in the server."""
    if tops < MIN_TOPS:
        return 1
    return configured or worker_count()


def worker_count() -> int:
    """The cores this process may use, up to MAX_WORKERS; 1 means: walk here, not in processes.

    Also 1 in a process that multiprocessing started: a worker imports its parent's main module
    again, and a main script that starts sptweb without an `if __name__ == "__main__":` guard would
    otherwise start walk processes of its own, and they theirs."""
    if multiprocessing.parent_process() is not None:
        return 1
    try:
        cores = len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        cores = os.cpu_count() or 1
    return min(cores, MAX_WORKERS)


def visit_in_processes(tops: list[Item], take_in: TakeIn, visitor: FolderVisitor, workers: int) -> list[Item]:
    """Visit `tops` and all below them in worker processes, taking each task's results in with
    `take_in` and their listings into `visitor`'s cache; return the tops it could not (a worker that
    died, processes that would not start), for the caller to visit itself."""
    setup = (visitor.roots, visitor.now, visitor.stale_after)
    tasks = _tasks(tops, workers)
    left_over: list[Item] = []
    handled = 0  # tasks taken in or left over, in order
    done_tops = done_folders = 0
    try:
        # forkserver: workers are forked from a fresh interpreter, never from this one, whose other
        # threads (waitress, the pools) may hold locks a fork would copy locked.
        context = multiprocessing.get_context("forkserver")
        # Imported once by the fork server, not by each worker: workers start at once. (Also instead
        # of its default, the main module, which is the user's business.)
        context.set_forkserver_preload([__name__])
        with ProcessPoolExecutor(workers, context, initializer=exit_with, initargs=(os.getpid(),)) as pool:
            # (popped as taken in: a task's result is its pickled records, 400 of them at 100,000 runs)
            futures = deque(pool.submit(walk_subtrees, task, setup) for task in tasks)
            for task in tasks:
                future = futures.popleft()
                try:
                    items, results = _received(future.result(), visitor.listings)
                except BrokenProcessPool as exc:  # a worker died, and with it the pool: the caller walks the rest
                    log.warning("the walk processes stopped (%s): the rest is walked inline", exc)
                    break
                except Exception as exc:  # this task's worker raised: its folders are walked by the caller
                    log.warning("a walk process failed (%s): its %d folders are walked inline", exc, len(task))
                    left_over += task
                    handled += 1
                    continue
                handled += 1
                done_tops, done_folders = done_tops + len(task), done_folders + len(items)
                # for the progress bar: the folders still to come, at this walk's folders per top so far
                still = round((len(tops) - done_tops) * done_folders / done_tops)
                take_in(items, results, still)
    except Exception as exc:  # no processes here at all (a sandbox, no /dev/shm): the caller walks
        log.warning("could not walk in processes (%s): walking inline", exc)
    return left_over + [top for task in tasks[handled:] for top in task]


def _tasks(tops: list[Item], workers: int) -> list[list[Item]]:
    """The tops in tasks of TOPS_PER_TASK, each worker's first one smaller: the table's first rows
    (the newest folders) come back sooner."""
    first, rest = tops[: FIRST_TOPS_PER_TASK * workers], tops[FIRST_TOPS_PER_TASK * workers :]
    return _cut(first, FIRST_TOPS_PER_TASK) + _cut(rest, TOPS_PER_TASK)


def _cut(items: list[Item], size: int) -> list[list[Item]]:
    return [items[start : start + size] for start in range(0, len(items), size)]


def exit_with(server_pid: int) -> None:
    """In a worker, as it starts: end it once the server that started the walk is gone (killed, or
    stopped mid-walk). Its results would have no reader: workers were seen blocked forever writing
    them, on what is often a shared login node."""

    def watch() -> None:
        while True:
            time.sleep(WATCH_EVERY_S)
            try:
                os.kill(server_pid, 0)  # signal 0: only asks whether the process is there
            except OSError:  # gone (or its pid taken by another user's process)
                os._exit(0)

    threading.Thread(target=watch, name="sptweb-walk-watch", daemon=True).start()


def _received(payload: bytes, listings: ListingCache) -> tuple[list[Item], list[Result]]:
    """A task's results, its listings adopted by this process's cache."""
    items, found = pickle.loads(payload)  # safe: our own workers' output
    results: list[Result] = []
    for listed, record, inside_spt in found:
        seen = None
        if listed is not None:
            seen = Visit(listed.path, listed, relisted=True)
            listings.adopt(listed)
        results.append((seen, record, inside_spt))
    return items, results


def walk_subtrees(tops: list[Item], setup: tuple) -> bytes:
    """In a worker: each top and every folder below it, depth first; what each visit found, pickled."""
    roots, now, stale_after = setup
    visitor = FolderVisitor(roots, ListingCache(), {}, now, 0, stale_after, OverlayStore())
    items: list[Item] = []
    found = []
    todo = list(reversed(tops))
    while todo:
        item = todo.pop()
        result = visitor(item)
        seen, record, inside_spt = result
        items.append(item)
        found.append((seen.listing if seen is not None else None, record, inside_spt))
        todo += reversed(below(item, result))
    return index_store.dumps((items, found))
