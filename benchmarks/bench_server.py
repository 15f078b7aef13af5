"""Capacity: 50 browser tabs holding live SSE streams while ordinary page requests keep flowing.

Starts a real `sptweb demo` (waitress, default 48 threads, the demo's trainer
appending live) on a free loopback port, opens 50 SSE streams, then times
page and API requests from 4 concurrent clients. Prints figures; asserts nothing.

    python benchmarks/bench_server.py [--streams 50] [--requests 400]
"""

from __future__ import annotations

import argparse
import http.client
import os
import signal
import socket
import statistics
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor

sys.path.insert(0, os.path.dirname(__file__))
from common import start_sptweb

PAGES = [
    "/",
    "/?q=vit&sort=-sum.val/acc",
    "/api/runs",
    "/run/proj-vit/4000001_3/run",
    "/run/proj-vit/4000001_3/run?tab=logs",
    "/api/metrics?run=proj-vit/4000001_3/run&keys=train/loss&points=800",
    "/compare?tag=sweep:4000001&view=diff",
]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def open_stream(port: int, results: list, stop: threading.Event) -> None:
    """One tab's EventSource: status, then read until told to stop."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    connection.request("GET", "/events", headers={"Accept": "text/event-stream"})
    response = connection.getresponse()
    results.append(response.status)
    events = 0
    try:
        while not stop.is_set() and response.status == 200:
            line = response.fp.readline()
            if not line:
                break
            events += line.startswith(b"event:")
    except OSError:
        pass
    finally:
        connection.close()


def timed_get(port: int, path: str) -> float:
    start = time.perf_counter()
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    connection.request("GET", path)
    response = connection.getresponse()
    response.read()
    connection.close()
    if response.status != 200:
        raise RuntimeError(f"{path}: {response.status}")
    return time.perf_counter() - start


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--streams", type=int, default=50)
    parser.add_argument("--requests", type=int, default=400)
    args = parser.parse_args()
    port = free_port()
    demo_dir = tempfile.mkdtemp(prefix="sptweb-bench-server-")
    server = start_sptweb("demo", demo_dir, "--port", str(port), "--no-auth")
    try:
        for page in PAGES:
            timed_get(port, page)  # warm caches: we measure contention, not first parses
        baseline = [timed_get(port, PAGES[i % len(PAGES)]) for i in range(len(PAGES) * 6)]

        stop = threading.Event()
        statuses: list[int] = []
        streams = [
            threading.Thread(target=open_stream, args=(port, statuses, stop), daemon=True) for _ in range(args.streams)
        ]
        for thread in streams:
            thread.start()
        deadline = time.monotonic() + 20
        while len(statuses) < args.streams and time.monotonic() < deadline:
            time.sleep(0.05)
        started = time.perf_counter()
        with ThreadPoolExecutor(max_workers=4) as clients:
            latencies = list(clients.map(lambda i: timed_get(port, PAGES[i % len(PAGES)]), range(args.requests)))
        wall = time.perf_counter() - started
        accepted, deferred = statuses.count(200), statuses.count(204)
        print(
            f"{args.streams} SSE clients: {accepted} streaming, {deferred} told to poll (204: the cap keeps 8 threads for pages)"
        )
        print(
            f"page/API requests, no streams open:  p50 {statistics.median(baseline) * 1000:6.1f} ms   p95 {percentile(baseline, 0.95) * 1000:6.1f} ms"
        )
        print(
            f"with {accepted} streams open, 4 clients: p50 {statistics.median(latencies) * 1000:6.1f} ms   p95 {percentile(latencies, 0.95) * 1000:6.1f} ms"
            f"   max {max(latencies) * 1000:.0f} ms   ({args.requests} requests in {wall:.1f} s, none failed)"
        )
        stop_started = time.perf_counter()
        server.send_signal(signal.SIGTERM)
        code = server.wait(timeout=30)
        print(f"SIGTERM with {accepted} streams open: exited {code} in {time.perf_counter() - stop_started:.2f} s")
        stop.set()
    finally:
        server.kill()


if __name__ == "__main__":
    main()
