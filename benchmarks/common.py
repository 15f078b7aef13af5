"""Helpers shared by the benchmark scripts: timing and call counting."""

from __future__ import annotations

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
