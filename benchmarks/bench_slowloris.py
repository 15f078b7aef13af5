"""Normal requests while other users of the node abuse the port: slowloris, idle sockets, a flood.

    python benchmarks/bench_slowloris.py [--slow 300] [--idle 200] [--flood 3000]

Starts `sptweb serve` on a demo tree (a real waitress, with a token), opens the
connections from this process (loopback only), and times the owner's requests
(with the token) meanwhile:
1. `--slow` connections send one header byte a second and never finish their
   headers, `--idle` ones send nothing; after the 5 s request deadline it
   counts how many the server has closed;
2. `--flood` connections opened as fast as possible and left idle (more than
   the server's 2,000): how many stay open, and the owner's new connections.
Prints figures; asserts nothing.
"""

from __future__ import annotations

import argparse
import os
import socket
import sys
import tempfile
import time
import urllib.request

sys.path.insert(0, os.path.dirname(__file__))
from common import start_sptweb, stop_sptweb

PORT = 4299
TOKEN = "bench-slowloris-token"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--slow", type=int, default=300)
    parser.add_argument("--idle", type=int, default=200)
    parser.add_argument("--flood", type=int, default=3000)
    args = parser.parse_args()
    root = tempfile.mkdtemp(prefix="sptweb-bench-slowloris-")
    server = start_sptweb("demo", os.path.join(root, "demo"), "--port", str(PORT), env={"SPTWEB_TOKEN": TOKEN})
    try:
        print(f"no extra connections:      {owner_get('/api/runs') * 1000:7.1f} ms")
        slowloris(args.slow, args.idle)
        flood(args.flood)
    finally:
        stop_sptweb(server)


def slowloris(slow_count: int, idle_count: int) -> None:
    idle = [connect() for _ in range(idle_count)]
    slow = [connect() for _ in range(slow_count)]
    for sock in slow:
        sock.sendall(b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n")
    worst = 0.0
    for _ in range(7):  # past the 5 s deadline
        for sock in slow:
            try:
                sock.sendall(b"X-a: b\r\n")  # one more header line, never the end of the headers
            except OSError:
                pass
        worst = max(worst, owner_get("/"), owner_get("/api/runs"))
        time.sleep(1)
    print(
        f"{slow_count} slow + {idle_count} idle:  worst of 14 requests {worst * 1000:7.1f} ms;"
        f" after 7 s the server had closed {closed(slow)} of the slow and {closed(idle)} of the idle ones"
    )
    for sock in idle + slow:
        sock.close()


def flood(count: int) -> None:
    started = time.perf_counter()
    socks = []
    for _ in range(count):
        try:
            socks.append(connect())
        except OSError:
            break
    opened = time.perf_counter() - started
    times = [owner_get("/api/runs") for _ in range(10)]
    time.sleep(0.5)
    still_open = len(socks) - closed(socks)
    print(
        f"flood of {len(socks)} idle connections in {opened:.1f} s: {still_open} still open;"
        f" the owner's requests meanwhile: worst {max(times) * 1000:.1f} ms, median {sorted(times)[5] * 1000:.1f} ms"
    )
    for sock in socks:
        sock.close()


def connect() -> socket.socket:
    return socket.create_connection(("127.0.0.1", PORT), timeout=10)


def closed(socks: list[socket.socket]) -> int:
    """How many of `socks` the server has closed (readable with nothing to read, or reset)."""
    count = 0
    for sock in socks:
        sock.setblocking(False)
        try:
            count += sock.recv(1, socket.MSG_PEEK) == b""
        except BlockingIOError:
            pass  # open, nothing to read
        except OSError:
            count += 1
        sock.setblocking(True)
    return count


def owner_get(path: str) -> float:
    """A request of the owner, on a new connection, with the token."""
    request = urllib.request.Request(f"http://127.0.0.1:{PORT}{path}", headers={"Authorization": f"Bearer {TOKEN}"})
    started = time.perf_counter()
    with urllib.request.urlopen(request, timeout=30) as response:
        response.read()
    return time.perf_counter() - started


if __name__ == "__main__":
    main()
