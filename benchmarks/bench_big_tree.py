"""A big tree through a real `sptweb serve`: first start, restart, idle cost and memory.

    python benchmarks/bench_big_tree.py [--runs 100000] [--idle 60]

Builds (or reuses) the benchmark tree of `--runs` runs (benchmarks/runtree.py: SLURM-style
sweeps, finished hours to weeks ago, a few running), then, black-box through the HTTP port:
1. a first start with an empty index cache: seconds until `/` lists the first 100 runs and
   until the first walk is done (`/api/scan` phase "ready");
2. a restart on the saved index: seconds until `/` shows the full table again;
3. idle: the server's CPU time over `--idle` seconds of polling an unchanged tree, as a share
   of one core, and its resident memory (RSS) with the table, one run page and a compare open.
Prints figures; asserts nothing.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
import urllib.request

sys.path.insert(0, os.path.dirname(__file__))
from common import start_sptweb, stop_sptweb
from runtree import build_tree, default_root

PORT = 4297
BASE = f"http://127.0.0.1:{PORT}"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=100_000)
    parser.add_argument("--idle", type=float, default=60.0)
    args = parser.parse_args()
    root = default_root(args.runs)
    build_tree(root, args.runs)
    cache = tempfile.mkdtemp(prefix="sptweb-bench-big-")
    print(f"tree: {args.runs} runs at {root}")
    print(f"             {warm_page_cache(root):6.1f} s to read the tree into the page cache first")

    server, started = serve(root, cache)
    first_rows = wait_for_rows(started)
    ready = wait_for_ready(started)
    print(f"first start: {first_rows:6.1f} s to the first rows, {ready:6.1f} s to the end of the first walk")
    saved = wait_for_index(cache, started)  # written after the first walk (and every 30 s while runs change)
    print(f"             {saved:6.1f} s until the index was saved")
    stop_sptweb(server)

    server, started = serve(root, cache)
    table = wait_for_rows(started, full=True)
    print(f"restart:     {table:6.1f} s to the full table (from the saved index)")
    wait_for_ready(started)
    get("/")
    runs = json.loads(get("/api/runs?per_page=20"))["runs"]
    get("/run/" + runs[0]["run_id"])
    get("/compare?runs=" + ",".join(run["run_id"] for run in runs[:10]))
    cpu_before, wall_before = cpu_seconds(server.pid), time.monotonic()
    time.sleep(args.idle)
    share = (cpu_seconds(server.pid) - cpu_before) / (time.monotonic() - wall_before)
    print(f"idle:        {share * 100:5.1f} % of one core over {args.idle:.0f} s; RSS {rss_mib(server.pid):.0f} MiB")
    stop_sptweb(server)


def warm_page_cache(root) -> float:
    """Read every folder and small file once, so the first walk measures sptweb, not the disk (this
    machine's kernel gives cold pages back within minutes: the same walk took 25 s or 60 s)."""
    started = time.monotonic()
    for folder, _, names in os.walk(root):
        for name in names:
            if name.endswith((".json", ".csv", ".jsonl")):
                with open(os.path.join(folder, name), "rb") as handle:
                    handle.read()
    return time.monotonic() - started


def serve(root, cache) -> tuple[subprocess.Popen, float]:
    started = time.monotonic()
    server = start_sptweb("serve", str(root), "--port", str(PORT), "--no-auth", env={"SPTWEB_INDEX_CACHE_DIR": cache})
    return server, started


def wait_for_rows(started: float, full: bool = False) -> float:
    """Seconds since `started` until the table lists runs (and, if `full`, says how many in all)."""
    while True:
        scan = json.loads(get("/api/scan"))
        enough = scan["runs"] >= (100 if full else 1) and (not full or scan["phase"] in ("walking", "ready"))
        if enough and 'class="run-row' in get("/"):
            return time.monotonic() - started
        time.sleep(0.05)


def wait_for_ready(started: float) -> float:
    while json.loads(get("/api/scan"))["phase"] != "ready":
        time.sleep(0.2)
    return time.monotonic() - started


def wait_for_index(cache: str, started: float) -> float:
    while not any(name.endswith(".listings.pickle") for name in os.listdir(cache)):
        time.sleep(0.2)
    return time.monotonic() - started


def get(path: str) -> str:
    with urllib.request.urlopen(BASE + path, timeout=120) as response:
        return response.read().decode()


def cpu_seconds(pid: int) -> float:
    with open(f"/proc/{pid}/stat") as handle:
        fields = handle.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")  # utime + stime


def rss_mib(pid: int) -> float:
    with open(f"/proc/{pid}/status") as handle:
        for line in handle:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return float("nan")


if __name__ == "__main__":
    main()
