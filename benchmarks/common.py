"""Helpers shared by the benchmark scripts: timing, call counting, a real server in a subprocess."""

from __future__ import annotations

import os
import subprocess
import sys
import time


def timed(action):
    """(seconds, result) of one call."""
    start = time.perf_counter()
    result = action()
    return time.perf_counter() - start, result


def best_of(count: int, action) -> float:
    """The fastest of `count` calls: the least noisy figure on a shared machine."""
    return min(timed(action)[0] for _ in range(count))


def count_calls(module, name: str):
    """Wrap module.name to count calls; returns (counter list, restore function)."""
    real = getattr(module, name)
    calls = [0]

    def counted(*args, **kwargs):
        calls[0] += 1
        return real(*args, **kwargs)

    setattr(module, name, counted)
    return calls, lambda: setattr(module, name, real)


def start_sptweb(*arguments: str, env: dict | None = None) -> subprocess.Popen:
    """`python -m sptweb ARGUMENTS…` in its own process (a real waitress), once it says it is serving.

    The persisted index is off unless `env` sets SPTWEB_INDEX_CACHE_DIR. Python may cache its
    bytecode, as an installed sptweb has it (PYTHONDONTWRITEBYTECODE would compile it at every start)."""
    inherited = {name: value for name, value in os.environ.items() if name != "PYTHONDONTWRITEBYTECODE"}
    server = subprocess.Popen(
        [sys.executable, "-m", "sptweb", *arguments],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
        env={**inherited, "SPTWEB_INDEX_CACHE_DIR": "", **(env or {})},
    )
    while "serving" not in server.stdout.readline():
        if server.poll() is not None:
            raise SystemExit(f"sptweb {' '.join(arguments)} exited with {server.returncode}")
    return server


def stop_sptweb(server: subprocess.Popen) -> None:
    """SIGTERM, as systemd or Ctrl+C would, and wait for a clean exit."""
    server.terminate()
    server.wait(timeout=60)
    server.stdout.close()
