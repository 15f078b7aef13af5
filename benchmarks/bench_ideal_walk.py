"""A cold first walk as it would go with a core for every walk process: their results ready at once.

    python benchmarks/bench_ideal_walk.py [--runs 100000]

On a 2-core VM the walk processes take most of a cold first walk; a login node has more cores.
This measures what is left with as many cores as needed: one real first walk records what each
walk process sent back, then first walks replay those results the moment they are asked for, so
only the server's own work remains (taking results in, ordering the level, tiered-polling
bookkeeping, publishing). In-process, index off; the tree is benchmarks/runtree.py's. Prints
figures; asserts nothing.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from concurrent.futures import Future, ProcessPoolExecutor

sys.path.insert(0, os.path.dirname(__file__))
from runtree import build_tree, default_root

from sptweb import create_app
from sptweb.scan import scanner_of, walk_processes

RESULTS: dict[str, bytes] = {}  # a task's pickled results, by the path of its first folder


class Recording(ProcessPoolExecutor):
    """The real pool, keeping each task's results."""

    def submit(self, fn, /, *args, **kwargs):
        future = super().submit(fn, *args, **kwargs)
        task = args[0]
        future.add_done_callback(lambda done: RESULTS.__setitem__(task[0][0], done.result()))
        return future


class Replaying:
    """No processes: each task's recorded results, ready when submitted."""

    def __init__(self, *args, **kwargs) -> None:
        pass

    def __enter__(self) -> Replaying:
        return self

    def __exit__(self, *exc_info) -> None:
        pass

    def submit(self, fn, task, setup) -> Future:
        future: Future = Future()
        future.set_result(RESULTS[task[0][0]])
        return future


def first_walk(root: str) -> tuple[float, float, int]:
    app = create_app({"runs_dir": root, "start_scanner": False, "index_cache_dir": "", "auth": False})
    scanner = scanner_of(app)
    wall, cpu = time.perf_counter(), time.thread_time()
    scanner.scan_once()
    figures = time.perf_counter() - wall, time.thread_time() - cpu, len(scanner.snapshot.runs)
    scanner.stop()
    return figures


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=100_000)
    args = parser.parse_args()
    root = default_root(args.runs)
    build_tree(root, args.runs)
    for label, pool in (("walk processes", Recording), ("results ready", Replaying), ("results ready", Replaying)):
        walk_processes.ProcessPoolExecutor = pool  # type: ignore[misc]
        seconds, scanner_cpu, runs = first_walk(str(root))
        print(f"{label:15s} first walk {seconds:6.2f} s  (the scanner thread's CPU {scanner_cpu:.2f} s; {runs} runs)")


if __name__ == "__main__":
    main()
