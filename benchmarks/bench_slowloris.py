"""A normal request while 300 slow connections dribble their headers (slowloris) and 200 sit idle.

    python benchmarks/bench_slowloris.py [--slow 300] [--idle 200]

Starts `sptweb serve` on a demo tree (a real waitress), opens the connections
from this process (loopback only), sends one header byte on each slow one
every second, and times normal page and API requests meanwhile. Prints
figures; asserts nothing.
"""

from __future__ import annotations

import argparse
import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request

PORT = 4299


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--slow", type=int, default=300)
    parser.add_argument("--idle", type=int, default=200)
    args = parser.parse_args()
    root = tempfile.mkdtemp(prefix="sptweb-bench-slowloris-")
    env = {**os.environ, "SPTWEB_INDEX_CACHE_DIR": ""}
    server = subprocess.Popen(
        [sys.executable, "-m", "sptweb", "demo", os.path.join(root, "demo"), "--port", str(PORT), "--no-auth"],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
        env=env,
    )
    try:
        while "serving" not in server.stdout.readline():
            pass
        base = f"http://127.0.0.1:{PORT}"
        print(f"no extra connections:      {timed_get(base + '/api/runs') * 1000:7.1f} ms")
        idle = [socket.create_connection(("127.0.0.1", PORT)) for _ in range(args.idle)]
        slow = [socket.create_connection(("127.0.0.1", PORT)) for _ in range(args.slow)]
        for sock in slow:
            sock.sendall(b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n")
        worst = 0.0
        for _ in range(5):
            for sock in slow:
                try:
                    sock.sendall(b"X-a: b\r\n")  # one more header line, never the end of the headers
                except OSError:
                    pass
            worst = max(worst, timed_get(base + "/"), timed_get(base + "/api/runs"))
            time.sleep(1)
        print(f"{args.slow} slow + {args.idle} idle open:  worst of 10 requests {worst * 1000:7.1f} ms")
        for sock in idle + slow:
            sock.close()
    finally:
        server.terminate()
        server.wait(timeout=10)


def timed_get(url: str) -> float:
    started = time.perf_counter()
    with urllib.request.urlopen(url, timeout=30) as response:
        response.read()
    return time.perf_counter() - started


if __name__ == "__main__":
    main()
