"""Normal requests while the server is abused: 50 abandoned log searches, then 200 keep-alive clients.

    python benchmarks/bench_load.py [--log-mb 500] [--clients 200] [--seconds 10]

Starts `sptweb serve` (a real waitress) on a tree with one run whose log is
`--log-mb` of text without the searched word; fires 50 searches whose
clients hang up after 0.2 s, and times normal requests meanwhile; then runs
`--clients` threads that each reuse one keep-alive connection for
`--seconds`, and prints p50 / p95 / p99 and how many requests got no answer.
Loopback only; prints figures, asserts nothing.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, os.path.dirname(__file__))
from common import start_sptweb, stop_sptweb

PORT = 4298
LINE = b"2026-11-26 12:00:00 INFO step 123 | loss 0.123 | lr 0.001 | throughput 1234 img/s\n"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--log-mb", type=int, default=500)
    parser.add_argument("--clients", type=int, default=200)
    parser.add_argument("--seconds", type=float, default=10.0)
    args = parser.parse_args()
    root = Path(tempfile.mkdtemp(prefix="sptweb-bench-load-"))
    run = root / "p" / "r"
    run.mkdir(parents=True)
    (run / "sidecar.json").write_text(json.dumps({"status": "completed"}))
    (run / "metrics.csv").write_text("step,loss\n" + "".join(f"{step},{1 / (step + 1)}\n" for step in range(5000)))
    with open(run / "train.out", "wb") as handle:
        for _ in range(args.log_mb * 2**20 // len(LINE)):
            handle.write(LINE)
    server = start_sptweb("serve", str(root), "--port", str(PORT), "--no-auth")
    try:
        time.sleep(1.5)  # the first scan
        abandoned_searches()
        keep_alive_clients(args.clients, args.seconds)
    finally:
        stop_sptweb(server)


def abandoned_searches() -> None:
    busy = 0
    for _ in range(50):
        sock = socket.create_connection(("127.0.0.1", PORT))
        sock.sendall(b"GET /api/log/search?run=p/r&stream=run:train.out&q=needle HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
        sock.settimeout(0.2)
        try:
            busy += b" 429 " in sock.recv(64)
        except TimeoutError:
            pass
        sock.close()  # the client went away
    times = [timed("/api/runs") for _ in range(20)]
    print(f"50 abandoned searches ({busy} answered 429 at once): normal requests {summary(times)}")


def keep_alive_clients(clients: int, seconds: float) -> None:
    times: list[float] = []
    failures = [0]
    deadline = time.monotonic() + seconds

    def client() -> None:
        connection = http.client.HTTPConnection("127.0.0.1", PORT, timeout=10)
        while time.monotonic() < deadline:
            started = time.perf_counter()
            try:
                connection.request("GET", "/api/scan")
                connection.getresponse().read()
                times.append(time.perf_counter() - started)
            except (OSError, http.client.HTTPException):
                failures[0] += 1
                connection.close()
                connection = http.client.HTTPConnection("127.0.0.1", PORT, timeout=10)

    threads = [threading.Thread(target=client) for _ in range(clients)]
    for thread in threads:
        thread.start()
    time.sleep(1)
    probe = [curl_time("/") for _ in range(10)]  # from another process: this one's 200 threads share a GIL
    for thread in threads:
        thread.join()
    print(
        f"{clients} keep-alive clients, {len(times)} requests: {summary(times)}, {failures[0]} without an answer;"
        f" a page meanwhile {summary(probe)}"
    )


def curl_time(path: str) -> float:
    done = subprocess.run(
        ["curl", "-s", "-o", "/dev/null", "-w", "%{time_total}", f"http://127.0.0.1:{PORT}{path}"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    return float(done.stdout or "nan")


def timed(path: str) -> float:
    connection = http.client.HTTPConnection("127.0.0.1", PORT, timeout=30)
    started = time.perf_counter()
    connection.request("GET", path)
    connection.getresponse().read()
    connection.close()
    return time.perf_counter() - started


def summary(times: list[float]) -> str:
    if not times:
        return "no answers"
    ordered = sorted(times)

    def at(share: float) -> float:
        return ordered[min(len(ordered) - 1, int(share * len(ordered)))] * 1000

    return f"p50 {at(0.5):.0f} ms, p95 {at(0.95):.0f} ms, p99 {at(0.99):.0f} ms"


if __name__ == "__main__":
    main()
