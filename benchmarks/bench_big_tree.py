"""A big tree through a real `sptweb serve`: first start, restart, idle cost and memory.

    python benchmarks/bench_big_tree.py [--runs 10000 100000] [--idle 60]

For each size, then side by side: builds (or reuses) the benchmark tree of that many runs
(benchmarks/runtree.py: SLURM-style sweeps, finished hours to weeks ago, a few running), reads
it into the page cache, then, black-box through the HTTP port:
1. a first start with an empty index cache: seconds until `/` lists the first runs, until the
   first walk is done (`/api/scan` phase "ready") and until the index is saved;
2. a restart on the saved index: seconds until `/` shows the full table again, and until the
   first walk has verified it; the median of 7 requests of `/`, a search and `/api/runs`;
3. idle: the server's CPU time over `--idle` seconds of polling an unchanged tree, as a share
   of one core, and its resident memory (RSS) with the table, one run page and a compare open.
Before all that, the floor of a first walk on this machine: the same tree's syscalls alone (every
folder opened and listed, each run's files stat-ed and its sidecar read and decoded) from a bare
Python loop, with nothing of sptweb's: what no Python walker on one core can beat.
Prints figures; asserts nothing. `bench_nfs.py` measures the same tree over NFS.
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

import orjson

sys.path.insert(0, os.path.dirname(__file__))
from common import start_sptweb, stop_sptweb
from runtree import build_tree, default_root

PORT = 4297
BASE = f"http://127.0.0.1:{PORT}"


REQUESTS = {"/": "/", "search + sort": "/?q=vit&sort=-sum.val/acc", "/api/runs": "/api/runs"}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, nargs="+", default=[10_000, 100_000])
    parser.add_argument("--idle", type=float, default=60.0)
    args = parser.parse_args()
    results = {count: measure(count, args.idle) for count in args.runs}
    print()
    print(f"{'':34s}" + "".join(f"{count:>14,} runs" for count in results))
    for name in next(iter(results.values())):
        print(f"{name:34s}" + "".join(f"{figures[name]:>19s}" for figures in results.values()))


def measure(count: int, idle: float) -> dict[str, str]:
    """One tree size, start to idle; the figures by name (also printed as they come)."""
    root = default_root(count)
    build_tree(root, count)
    cache = tempfile.mkdtemp(prefix="sptweb-bench-big-")
    print(f"tree: {count} runs at {root}")
    print(f"             {warm_page_cache(root):6.1f} s to read the tree into the page cache first")
    figures = {"floor: the first walk's syscalls alone": f"{syscall_floor(root):.1f} s"}

    server, started = serve(root, cache)
    figures["first start: first rows"] = f"{wait_for_rows(started):.1f} s"
    figures["first start: end of the first walk"] = f"{wait_for_ready(started):.1f} s"
    figures["first start: index saved"] = f"{wait_for_index(cache, started):.1f} s"  # (after the first walk)
    stop_sptweb(server)

    server, started = serve(root, cache)
    figures["restart: full table"] = f"{wait_for_rows(started, full=True):.2f} s"
    figures["restart: first walk verified"] = f"{wait_for_ready(started):.1f} s"
    for name, path in REQUESTS.items():
        figures[f"request {name}"] = f"{median_ms(path):.1f} ms"
    runs = json.loads(get("/api/runs?per_page=20"))["runs"]
    get("/run/" + runs[0]["run_id"])
    get("/compare?runs=" + ",".join(run["run_id"] for run in runs[:10]))
    cpu_before, wall_before = cpu_seconds(server.pid), time.monotonic()
    time.sleep(idle)
    share = (cpu_seconds(server.pid) - cpu_before) / (time.monotonic() - wall_before)
    figures[f"idle CPU over {idle:.0f} s"] = f"{share * 100:.1f} %"
    figures["RSS: table, run page, compare open"] = f"{rss_mib(server.pid):.0f} MiB"
    stop_sptweb(server)
    for name, figure in figures.items():
        print(f"  {name:36s} {figure}")
    return figures


def syscall_floor(root) -> float:
    """Seconds a bare loop takes to do what a first walk must: open and list every folder (its mtime
    from the open folder), and in each run folder stat the files listed and read and decode the sidecar."""
    started = time.perf_counter()
    folders = [str(root)]
    while folders:
        below = []
        for folder in folders:
            descriptor = os.open(folder, os.O_RDONLY | os.O_DIRECTORY)
            os.fstat(descriptor)
            with os.scandir(descriptor) as entries:
                names = [(entry.name, entry.is_dir(follow_symlinks=False)) for entry in entries]
            os.close(descriptor)
            below += [folder + "/" + name for name, is_folder in names if is_folder]
            if any(name == "sidecar.json" for name, _ in names):
                run = os.open(folder, os.O_PATH | os.O_DIRECTORY)
                for name, _ in names:
                    os.stat(name, dir_fd=run)
                sidecar = os.open("sidecar.json", os.O_RDONLY, dir_fd=run)
                orjson.loads(os.read(sidecar, os.fstat(sidecar).st_size + 1))  # (a 1 MB buffer doubled the loop)
                os.close(sidecar)
                os.close(run)
        folders = below
    return time.perf_counter() - started


def median_ms(path: str, times: int = 7) -> float:
    took = []
    for _ in range(times):
        started = time.perf_counter()
        get(path)
        took.append((time.perf_counter() - started) * 1000)
    return sorted(took)[times // 2]


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
