"""Discovery over a real NFS mount with added latency (../shared/tools/nfslab), RPCs counted at the server.

    ../shared/tools/nfslab/nfslab.sh up /tmp/sptweb-bench/tree-10000 /mnt/nfs05 0.5 3
    python benchmarks/bench_nfs.py /mnt/nfs05 [--nfslab ../shared/tools/nfslab/nfslab.sh] [--polls 3]
    python benchmarks/bench_nfs.py --files [--latency 0.5] [--actimeo 3]

In-process, with the index off: the cold index (a first walk on cold client caches: the
mount is remounted first) and steady polls, each with its time and the RPCs that reached
the NFS server (per run). `--files` instead mounts one run holding a 1,000,000-row
metrics.csv and a 500 MB log (written once under /tmp/sptweb-bench/bigfiles) and times the
first chart and the log tail through the mount, cold. Without nfslab (no such script, or
MOUNT not one of its mounts) it says so and exits: nothing here runs in CI. Prints figures;
asserts nothing.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from pathlib import Path

from sptweb import create_app
from sptweb.scan import scanner_of

DEFAULT_NFSLAB = os.path.join(os.path.dirname(__file__), "..", "..", "shared", "tools", "nfslab", "nfslab.sh")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("mount", nargs="?")
    parser.add_argument("--nfslab", default=DEFAULT_NFSLAB)
    parser.add_argument("--polls", type=int, default=3)
    parser.add_argument("--files", action="store_true", help="a 1M-row chart and a 500 MB log tail over NFS")
    parser.add_argument("--latency", default="0.5")
    parser.add_argument("--actimeo", default="3")
    args = parser.parse_args()
    if args.files:
        big_files(args)
        return
    if not os.path.exists(args.nfslab) or rpcs(args.nfslab, args.mount) is None:
        print(f"skipped: {args.mount} is not an nfslab mount (see ../shared/tools/nfslab/README.md)")
        return
    subprocess.run([args.nfslab, "remount", args.mount], check=True, capture_output=True)  # cold client caches
    app = create_app({"runs_dir": args.mount, "start_scanner": False, "index_cache_dir": "", "auth": False})
    scanner = scanner_of(app)
    measure("cold index", scanner, args)
    for poll in range(args.polls):
        measure(f"steady poll {poll + 1}", scanner, args)
    scanner.stop()


def big_files(args) -> None:
    """The first chart of a 1,000,000-row metrics.csv and the tail of a 500 MB log, through the mount."""
    sys.path.insert(0, os.path.dirname(__file__))
    from bigcsv import write_big_csv

    source = "/tmp/sptweb-bench/bigfiles"
    run = os.path.join(source, "big", "run")
    os.makedirs(run, exist_ok=True)
    write_big_csv(Path(run) / "metrics.csv", 1_000_000)
    log = os.path.join(run, "train.out")
    if not os.path.exists(log) or os.path.getsize(log) < 500 << 20:
        line = b"2026-11-26 12:00:00 INFO step 123 | loss 0.123 | lr 0.001 | throughput 1234 img/s\n"
        with open(log, "wb") as handle:
            handle.write(line * ((500 << 20) // len(line)))
    with open(os.path.join(run, "sidecar.json"), "w") as handle:
        handle.write('{"status": "completed"}')
    mount = "/mnt/sptweb-bigfiles"
    os.makedirs(mount, exist_ok=True)
    up = subprocess.run([args.nfslab, "up", source, mount, args.latency, args.actimeo], capture_output=True, text=True)
    if up.returncode != 0:
        print(f"skipped: nfslab could not mount ({up.stderr.strip()[:200]})")
        return
    try:
        app = create_app({"runs_dir": mount, "start_scanner": False, "index_cache_dir": "", "auth": False})
        scanner_of(app).scan_once()
        client = app.test_client()
        for label, url in (
            ("1M-row first chart", "/api/metrics?run=big/run&keys=train/loss&points=800"),
            ("500 MB log tail", "/api/log?run=big/run&stream=run:train.out"),
        ):
            before = rpcs(args.nfslab, mount)
            started = time.perf_counter()
            response = client.get(url)
            seconds = time.perf_counter() - started
            spent = {k: v - before.get(k, 0) for k, v in rpcs(args.nfslab, mount).items()}
            print(
                f"{label:20s} {seconds:6.2f} s  ({len(response.data) >> 10} KiB; {spent.get('rpc_read', 0)} READs of"
                f" {spent.get('rpc_read_bytes', 0) >> 20} MiB) at {args.latency} ms, actimeo {args.actimeo}"
            )
        scanner_of(app).stop()
    finally:
        subprocess.run([args.nfslab, "down", mount], capture_output=True, check=False)


def measure(label: str, scanner, args) -> None:
    before = rpcs(args.nfslab, args.mount)
    started = time.perf_counter()
    scanner.scan_once()
    seconds = time.perf_counter() - started
    after = rpcs(args.nfslab, args.mount)
    runs = max(1, len(scanner.snapshot.runs))
    not_calls = ("rpc_read_bytes", "rpc_total", "rpc_inflight_max")  # sizes, sums and gauges, not RPCs
    spent = {
        name: after[name] - before.get(name, 0) for name in after if name.startswith("rpc_") and name not in not_calls
    }
    total = sum(spent.values())
    top = ", ".join(f"{name[4:]} {value / runs:.2f}" for name, value in sorted(spent.items()) if value)
    waiting = scanner.waiting_per_visit
    print(
        f"{label:15s} {seconds:7.2f} s  {len(scanner.snapshot.runs)} runs, {total} RPCs = {total / runs:.2f} per run"
        f" ({top}); waiting per visit {waiting * 1e6 if waiting is not None else float('nan'):.0f} µs"
    )


def rpcs(nfslab: str, mount: str) -> dict[str, int] | None:
    """The server-side counters of an nfslab mount, or None if it is not one."""
    done = subprocess.run([nfslab, "stats", mount], capture_output=True, text=True, check=False)
    if done.returncode != 0:
        return None
    counters = {}
    for line in done.stdout.splitlines():
        name, _, value = line.partition("\t")
        if value.strip().isdigit():
            counters[name] = int(value)
    return counters or None


if __name__ == "__main__":
    sys.exit(main())
