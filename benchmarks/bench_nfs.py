"""Discovery over a real NFS mount with added latency (../shared/tools/nfslab), RPCs counted at the server.

    ../shared/tools/nfslab/nfslab.sh up /tmp/sptweb-bench/tree-10000 /mnt/nfs05 0.5 3
    python benchmarks/bench_nfs.py /mnt/nfs05 [--nfslab ../shared/tools/nfslab/nfslab.sh] [--polls 3]

In-process, with the index off: the cold index (a first walk on cold client caches: the
mount is remounted first) and steady polls, each with its time and the RPCs that reached
the NFS server (per run). Without nfslab (no such script, or MOUNT not one of its mounts) it
says so and exits: nothing here runs in CI. Prints figures; asserts nothing.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time

from sptweb import create_app
from sptweb.scan import scanner_of

DEFAULT_NFSLAB = os.path.join(os.path.dirname(__file__), "..", "..", "shared", "tools", "nfslab", "nfslab.sh")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("mount")
    parser.add_argument("--nfslab", default=DEFAULT_NFSLAB)
    parser.add_argument("--polls", type=int, default=3)
    args = parser.parse_args()
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
