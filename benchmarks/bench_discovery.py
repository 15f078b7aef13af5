"""Discovery at 10,000 runs: cold index, steady-state poll, restart from the persisted index,
rendering `/`, and the table's first requests after a poll that changed one running run.
Prints figures; asserts nothing (see README for the latest numbers).

    python benchmarks/bench_discovery.py [--runs 10000]
"""

from __future__ import annotations

import argparse
import builtins
import functools
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, os.path.dirname(__file__))
from common import count_calls, timed
from runtree import build_tree, default_root

from sptweb import create_app
from sptweb.scan import Scanner, scanner_of


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=10_000)
    parser.add_argument("--lightning", action="store_true", help="runs without a sidecar (Lightning's CSVLogger)")
    args = parser.parse_args()
    root = default_root(args.runs).with_name(f"tree-{args.runs}" + ("-lightning" if args.lightning else ""))
    build_seconds, _ = timed(lambda: build_tree(root, args.runs, lightning=args.lightning))
    kind = "sidecar-less (Lightning) " if args.lightning else ""
    print(f"tree: {args.runs} {kind}runs at {root} (built/reused in {build_seconds:.1f} s)")
    cache = tempfile.mkdtemp(prefix="sptweb-bench-cache-")
    app = create_app({"runs_dir": str(root), "start_scanner": False, "index_cache_dir": cache, "auth": False})
    scanner = scanner_of(app)

    thread_cpu = time.thread_time()
    cold, _ = timed(scanner.scan_once)
    thread_cpu = time.thread_time() - thread_cpu
    print(f"cold index:            {cold:6.3f} s  ({len(scanner.snapshot.runs)} runs; target < 3 s)")
    # With walk processes the scanner thread takes in their results: its own CPU is what the walk
    # would take on a machine with a core for each worker (and one for it).
    print(f"  the scanner thread's CPU: {thread_cpu:.2f} s (the walk's floor with a core per walk process)")

    stats, restore_stat = count_calls(os, "stat")
    scandirs, restore_scandir = count_calls(os, "scandir")
    opens, restore_open = count_calls(builtins, "open")
    steady, change = timed(scanner.scan_once)
    restore_stat(), restore_scandir(), restore_open()
    print(
        f"steady poll:           {steady:6.3f} s  ({stats[0]} stats = {stats[0] / args.runs:.2f} per run,"
        f" {scandirs[0]} readdirs, {opens[0]} file opens, change={'none' if change is None else 'yes'})"
    )

    scanner.save_index()
    restarted = Scanner()
    restarted.configure(scanner.config)
    load, _ = timed(restarted.load_index)
    print(f"restart, index shown:  {load:6.3f} s  ({len(restarted.snapshot.runs)} runs from the persisted index)")
    verify, _ = timed(restarted.scan_once)
    print(f"restart, first walk:   {verify:6.3f} s  (verifies the index; as cheap as a steady poll)")
    restarted.stop()

    client = app.test_client()
    client.get("/?q=no-such-run-warms-the-templates", headers={"HX-Request": "true"})
    # The first request of a view no request asked for yet builds it over every run (then it is kept,
    # and advanced poll by poll): the default view, a new search, a new sort column.
    first = {
        label: timed(lambda url=url: client.get(url, headers={"HX-Request": "true"}))[0]
        for label, url in (
            ("the default view", "/"),
            ("a new search", "/?q=resnet"),
            ("a new sort column", "/?sort=-hp.seed"),
        )
    }
    client.get("/")  # the full page's template too
    full = min(timed(lambda: client.get("/"))[0] for _ in range(5))
    fragment = min(timed(lambda: client.get("/", headers={"HX-Request": "true"}))[0] for _ in range(5))
    search = min(
        timed(lambda: client.get("/?q=vit&sort=-sum.val/acc", headers={"HX-Request": "true"}))[0] for _ in range(5)
    )
    api = min(timed(lambda: client.get("/api/runs?per_page=100"))[0] for _ in range(5))
    size = len(client.get("/").data)
    print(f"render / (full page):  {full * 1000:6.1f} ms  ({size / 1024:.0f} KiB, 100 rows of {args.runs})")
    print(f"render / (fragment):   {fragment * 1000:6.1f} ms")
    print(f"search+sort fragment:  {search * 1000:6.1f} ms  (q=vit, sort by a summary metric)")
    print(f"GET /api/runs:         {api * 1000:6.1f} ms")
    for label, seconds in first.items():
        print(f"first request of {label}: {seconds * 1000:6.1f} ms  (its view built over all {args.runs} runs)")
    for label, url, headers in (
        ("render / (full page)", "/", {}),
        ("search+sort fragment", "/?q=vit&sort=-sum.val/acc", {"HX-Request": "true"}),
        ("GET /api/runs", "/api/runs?per_page=100", {}),
    ):
        after = after_one_change(scanner, functools.partial(client.get, url, headers=headers))
        print(f"after a 1-run poll:    {after * 1000:6.1f} ms  ({label}: its first request after the poll)")
    scanner.stop()


def after_one_change(scanner: Scanner, request, rounds: int = 5) -> float:
    """The median time of the first `request` after a poll in which one running run wrote its sidecar
    (a new summary value and `updated_at`, as a training job's flush does): what a live table costs."""
    running = next(run for run in scanner.snapshot.runs.values() if run.is_running and run.kind == "spt")
    sidecar = Path(running.path) / "sidecar.json"
    request()  # the views this request uses exist before the polls
    seconds = []
    for round_ in range(rounds):
        document = json.loads(sidecar.read_text())
        document["updated_at"] = time.time()
        document["summary"]["val/acc"] = 0.5 + round_ / 100
        sidecar.write_text(json.dumps(document))
        before = scanner.snapshot.runs[running.run_id]
        scanner.scan_once()
        assert scanner.snapshot.runs[running.run_id] is not before, "the poll did not see the write"
        seconds.append(timed(request)[0])
    return statistics.median(seconds)


if __name__ == "__main__":
    main()
