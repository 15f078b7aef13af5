"""TensorBoard event files next to metrics.csv: the same 1,000,000 scalars, first chart cold and warm, an append.

    python benchmarks/bench_tensorboard.py [--events 1000000]

Writes one event file (a `train/loss` scalar per step, a one-step spike at
step 777,777) and a metrics.csv with the same numbers, under two sidecar-less
runs, and measures `/api/metrics` on each. Prints figures; asserts nothing.
Needs the tensorboard extra (tensorboardX, crc32c).
"""

from __future__ import annotations

import argparse
import os
import struct
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
from crc32c import crc32c
from tensorboardX.proto.event_pb2 import Event

sys.path.insert(0, os.path.dirname(__file__))
from common import best_of, timed

from sptweb import create_app
from sptweb.scan import scanner_of

SPIKE_STEP = 777_777
CHART = "/api/metrics?run={run}&keys=train/loss&points=800"


def masked(crc: int) -> int:
    return (((crc >> 15) | (crc << 17)) + 0xA282EAD8) & 0xFFFFFFFF


def record(step: int, value: float, wall: float) -> bytes:
    event = Event(step=step, wall_time=wall)
    entry = event.summary.value.add()
    entry.tag, entry.simple_value = "train/loss", value
    payload = event.SerializeToString()
    header = struct.pack("<Q", len(payload))
    return header + struct.pack("<I", masked(crc32c(header))) + payload + struct.pack("<I", masked(crc32c(payload)))


def losses(count: int, start: int = 0) -> np.ndarray:
    steps = np.arange(start, start + count)
    values = 2.0 * np.exp(-steps / 200_000) + 0.3 + 0.02 * np.sin(steps / 7)
    values[steps == SPIKE_STEP] = 50.0
    return values


def write_runs(root: Path, count: int) -> None:
    values = losses(count)
    tb, csv = root / "tb" / "version_0", root / "csv" / "version_0"
    tb.mkdir(parents=True)
    csv.mkdir(parents=True)
    now = time.time()
    with open(tb / f"events.out.tfevents.{int(now)}.bench", "wb") as handle:
        handle.write(b"".join(record(step, float(value), now) for step, value in enumerate(values)))
    with open(csv / "metrics.csv", "w") as handle:
        handle.write("step,train/loss\n")
        handle.writelines(f"{step},{float(np.float32(value))!r}\n" for step, value in enumerate(values))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--events", type=int, default=1_000_000)
    count = parser.parse_args().events
    root = Path(tempfile.mkdtemp(prefix="sptweb-bench-tb-"))
    built, _ = timed(lambda: write_runs(root, count))
    tb_file = next((root / "tb" / "version_0").glob("events.out.tfevents.*"))
    print(
        f"{count:,} scalars: event file {tb_file.stat().st_size / 2**20:.0f} MiB, "
        f"metrics.csv {(root / 'csv/version_0/metrics.csv').stat().st_size / 2**20:.0f} MiB (written in {built:.0f} s)"
    )
    app = create_app({"runs_dir": str(root), "start_scanner": False, "index_cache_dir": "", "auth": False})
    scanner_of(app).scan_once()
    client = app.test_client()
    for run in ("csv/version_0", "tb/version_0"):
        chart = CHART.format(run=run)
        cold, response = timed(lambda chart=chart: client.get(chart))
        warm = best_of(5, lambda chart=chart: client.get(chart))
        body = response.json["series"]["train/loss"]
        print(
            f"{run:14s} cold first chart {cold * 1000:7.0f} ms · warm {warm * 1000:5.1f} ms · "
            f"{body['count']} of {body['raw_count']:,} points · spike kept: {max(body['y']) == 50.0}"
        )
    last_x = client.get(CHART.format(run="tb/version_0")).json["series"]["train/loss"]["x"][-1]
    with open(tb_file, "ab") as handle:
        handle.write(b"".join(record(count + i, 0.25, time.time()) for i in range(100)))
    append, response = timed(lambda: client.get(CHART.format(run="tb/version_0") + f"&after={last_x}"))
    print(
        f"100-event append, live update (after=): {append * 1000:.1f} ms, "
        f"{response.json['series']['train/loss']['count']} new points"
    )


if __name__ == "__main__":
    main()
