"""Query-argument parsing: strict for the API (a bad value is a 400 that names it), lenient for page fragments."""

from __future__ import annotations

import math

from flask import abort, request


def required(name: str) -> str:
    value = request.args.get(name, "").strip()
    if not value:
        abort(400, description=f"missing query argument {name!r}")
    return value


def integer(name: str, default: int, low: int, high: int) -> int:
    return _bounded(name, default, int, "a whole number", low, high)


def number(name: str, default: float | None = None, low: float = -math.inf, high: float = math.inf) -> float | None:
    return _bounded(name, default, float, "a number", low, high)


def _bounded(name: str, default, convert, noun: str, low, high):
    """`convert(arg)` within [low, high] (and finite), `default` when absent, else a 400 naming the arg."""
    raw = request.args.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = convert(raw)
    except ValueError:
        abort(400, description=f"{name} must be {noun}, got {raw[:40]!r}")
    if not math.isfinite(value) or not low <= value <= high:
        abort(400, description=f"{name} must be between {low} and {high}, got {raw[:40]!r}")
    return value


def choice(name: str, options: tuple[str, ...]) -> str:
    value = request.args.get(name) or options[0]
    if value not in options:
        abort(400, description=f"{name} must be one of {', '.join(options)}, got {value[:40]!r}")
    return value


def name_list(name: str, known: list[str]) -> list[str]:
    """Names from `name=a&name=b` (each value whole: names may hold commas), or `name=a,b` when given once.

    A single value that is itself a known name is kept whole (`keys=val/acc,top1`).
    """
    values = request.args.getlist(name)
    if len(values) == 1 and values[0] not in set(known):
        values = [part.strip() for part in values[0].split(",")]
    return list(dict.fromkeys(value for value in values if value))


def lenient_int(name: str) -> int | None:
    """A non-negative integer arg for page fragments; absent or bad means None."""
    raw = request.args.get(name, "")
    return int(raw) if raw.isdigit() else None
