"""Logs at scale: the tail of a 2 GB log, and a follow read that returns only the new bytes.

    python benchmarks/bench_logs.py [--gb 2]

Prints figures; asserts nothing (see README for the latest numbers).
"""

from __future__ import annotations

import argparse
import json
import os
import tempfile
from pathlib import Path

from common import timed

from sptweb import create_app
from sptweb.scan import scanner_of

LINE = "2026-11-26 02:00:00 INFO | epoch 3 | step {:>9} | train/loss 0.4242 | \x1b[32mthroughput 612 img/s\x1b[0m\n"


def build(root: Path, size: int) -> Path:
    run_dir = root / "run"
    run_dir.mkdir(parents=True, exist_ok=True)
    (run_dir / "sidecar.json").write_text(json.dumps({"status": "running"}))
    log = run_dir / "train.out"
    if not log.exists() or log.stat().st_size < size:
        block = "".join(LINE.format(step) for step in range(100_000)).encode()
        with open(log, "wb") as handle:
            for _ in range(size // len(block) + 1):
                handle.write(block)
    return log


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--gb", type=float, default=2.0)
    args = parser.parse_args()
    root = Path(os.environ.get("SPTWEB_BENCH_DIR", tempfile.gettempdir())) / "sptweb-bench-logs"
    build_time, log = timed(lambda: build(root, int(args.gb * 1e9)))
    size = log.stat().st_size
    print(f"log: {size / 1e9:.2f} GB (written/reused in {build_time:.1f} s)")
    app = create_app({"runs_dir": str(root), "start_scanner": False, "index_cache_dir": "", "auth": False})
    scanner = scanner_of(app)
    scanner.scan_once()
    client = app.test_client()
    api_tail, response = timed(lambda: client.get("/api/log?run=run&stream=run:train.out"))
    body = response.json
    page = min(timed(lambda: client.get("/run/run?tab=logs"))[0] for _ in range(3))
    api_warm = min(timed(lambda: client.get("/api/log?run=run&stream=run:train.out"))[0] for _ in range(3))
    print(
        f"tail via /api/log, first:   {api_tail * 1000:6.1f} ms   ({len(body['text']) / 1e6:.2f} MB of {size / 1e9:.2f} GB; target < 300 ms)"
    )
    print(f"tail via /api/log, warm:    {api_warm * 1000:6.1f} ms")
    print(f"Logs tab page (tail rendered as HTML, ANSI coloured): {page * 1000:.0f} ms")
    with open(log, "ab") as handle:
        handle.write(LINE.format("NEW").encode() * 3)
    follow, response = timed(lambda: client.get(f"/api/log?run=run&stream=run:train.out&offset={body['next_offset']}"))
    new = response.json
    print(
        f"follow read after 3 new lines: {follow * 1000:.1f} ms, returned {len(new['text'].encode())} bytes (appended: {3 * len(LINE.format('NEW').encode())})"
    )
    for query, note in (("new", "lowercase: any case"), ("NEW", "has a capital: exact case")):
        search, response = timed(
            lambda query=query: client.get(f"/api/log/search?run=run&stream=run:train.out&q={query}")
        )
        print(
            f"search of the whole file for {query!r} ({note}), matches at the very end: {search:.1f} s, {response.text.count(chr(10)) - 1} matches"
        )
    with open(log, "r+b") as handle:  # leave the file as it was, for the next run
        handle.truncate(size)


if __name__ == "__main__":
    main()
