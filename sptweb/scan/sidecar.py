"""Turn the bytes of a sidecar.json into clean, typed run metadata.

Pure functions, no file access: the scanner reads the bytes, this module
survives every way docs/format.md says they break and says what went wrong.
"""

from __future__ import annotations

import json
import math
from dataclasses import field

import orjson

from .frozen import frozen_record
from .sharing import shared_name, shared_value

MAX_DEPTH = 32  # nested hparams deeper than this are shown as text
EPOCH_RANGE = (0.0, 32503680000.0)  # 1970 to the year 3000: anything else is not a time


class SidecarError(ValueError):
    """The sidecar could not be used; the message is shown to the user."""


@frozen_record
class SidecarMeta:
    """The sidecar fields the viewer uses, each with the right type or a safe default."""

    status: str = "unknown"
    writer_run_id: str | None = None
    run_dir: str | None = None
    created_at: float | None = None
    ended_at: float | None = None
    updated_at: float | None = None
    tags: tuple[str, ...] = ()
    notes: str = ""
    hparams: dict = field(default_factory=dict)
    summary: dict = field(default_factory=dict)
    checkpoint_path: str | None = None
    display_name: str | None = None
    warnings: tuple[str, ...] = ()


def parse_sidecar(raw: bytes, run_dir: str | None = None) -> SidecarMeta:
    """Parse sidecar bytes; raise SidecarError with a readable reason when unusable.

    `run_dir`: where the sidecar was found; its `run_dir` field, nearly always the same text, then
    shares that string instead of holding a copy (10 MB at 100,000 runs)."""
    document = _load_json(raw)
    if not isinstance(document, dict):
        raise SidecarError(f"sidecar is a JSON {type(document).__name__}, not an object")
    warnings: list[str] = []
    hparams = _mapping(document, "hparams", warnings)
    summary = _mapping(document, "summary", warnings)
    return SidecarMeta(
        status=shared_name(_text(document, "status", warnings) or "unknown"),
        writer_run_id=_text(document, "run_id", warnings),
        run_dir=_same_or(run_dir, _text(document, "run_dir", warnings)),
        created_at=_epoch(document, "created_at", warnings),
        ended_at=_epoch(document, "ended_at", warnings),
        updated_at=_epoch(document, "updated_at", warnings),
        tags=_tags(document.get("tags"), warnings),
        notes=_text(document, "notes", warnings) or "",
        hparams=flatten(hparams),
        summary=flatten(summary),
        checkpoint_path=_text(document, "checkpoint_path", warnings),
        display_name=_text(document, "display_name", warnings) or None,
        warnings=tuple(warnings),
    )


def _same_or(known: str | None, text: str | None) -> str | None:
    return known if text is not None and text == known else text


def _load_json(raw: bytes):
    """orjson for speed; the stdlib for what orjson refuses (NaN tokens, bad UTF-8)."""
    if not raw.strip():
        raise SidecarError("sidecar is empty (caught mid-write?)")
    try:
        return orjson.loads(raw)
    except orjson.JSONDecodeError:
        pass
    try:
        return json.loads(raw.decode("utf-8", errors="replace"))
    except json.JSONDecodeError as exc:
        raise SidecarError(f"sidecar is not valid JSON: {exc.msg} (line {exc.lineno}, column {exc.colno})") from None
    except RecursionError:
        raise SidecarError("sidecar nests too deeply") from None
    except ValueError as exc:  # e.g. an integer of more than 4,300 digits
        raise SidecarError(f"sidecar is not usable JSON: {str(exc)[:120]}") from None


def _text(document: dict, key: str, warnings: list[str]) -> str | None:
    value = document.get(key)
    if value is None or isinstance(value, str):
        return value
    warnings.append(f"{key} should be a string, got {type(value).__name__}")
    return value_text(value)


def _epoch(document: dict, key: str, warnings: list[str]) -> float | None:
    value = document.get(key)
    if value is None:
        return None
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        seconds = _as_float(value)
        if seconds is not None and EPOCH_RANGE[0] <= seconds <= EPOCH_RANGE[1]:
            return seconds
    warnings.append(f"{key} should be epoch seconds, got {safe_text(value)[:40]}")
    return None


def _mapping(document: dict, key: str, warnings: list[str]) -> dict:
    value = document.get(key)
    if value is None:
        return {}
    if isinstance(value, dict):
        return value
    warnings.append(f"{key} should be an object, got {type(value).__name__}")
    return {}


def _tags(value, warnings: list[str]) -> tuple[str, ...]:
    if value is None:
        return ()
    if not isinstance(value, list):
        warnings.append(f"tags should be a list, got {type(value).__name__}")
        return ()
    names = dict.fromkeys(shared_name(value_text(tag)) for tag in value if isinstance(tag, (str, int, float)))
    return shared_value(tuple(names))  # a sweep's runs all carry the same tags


def flatten(mapping: dict, prefix: str = "") -> dict:
    """Dot-join nested dicts (`{"slurm": {"task_id": 3}}` -> `slurm.task_id`); keep scalars.

    Lists and other non-scalars become their compact JSON text so they still
    display and search, and never break sorting. Iterative, and bounded: dicts
    nested deeper than MAX_DEPTH and integers no float can hold become text, so
    no hostile file can exhaust the stack or break a sort.
    """
    flat: dict = {}
    stack = [(iter(mapping.items()), prefix, 0)]  # depth-first, in the file's order
    while stack:
        items, base, depth = stack[-1]
        for key, value in items:
            # interned: 100,000 runs share a handful of keys, in memory and in the persisted index
            name = shared_name(f"{base}{key}")
            kind = type(value)
            if kind in _PLAIN or (kind is int and value.bit_length() < 1024):  # nearly every value: as it is
                flat[name] = value
            elif isinstance(value, dict) and depth < MAX_DEPTH:
                stack.append((iter(value.items()), f"{name}.", depth + 1))
                break
            elif isinstance(value, dict):
                flat[name] = f"<nested deeper than {MAX_DEPTH} levels>"
            elif isinstance(value, int) and not isinstance(value, bool) and _as_float(value) is None:
                flat[name] = f"<{value.bit_length()}-bit integer>"
            elif value is None or isinstance(value, (str, int, float, bool)):
                flat[name] = value
            else:
                flat[name] = _json_text(value)
        else:
            stack.pop()
    return flat


_PLAIN = frozenset({str, float, bool, type(None)})  # exact types: flatten keeps them as they are


def value_text(value) -> str:
    """str() that never fails: a 5,000-digit integer has no str in Python 3.11."""
    try:
        return str(value)
    except ValueError:
        return safe_text(value)


def safe_text(value) -> str:
    """repr() that never fails (a 5,000-digit integer has no str in Python 3.11)."""
    try:
        return repr(value)
    except ValueError:
        return f"<{value.bit_length()}-bit integer>" if isinstance(value, int) else "<unprintable>"


def _as_float(value) -> float | None:
    try:
        number = float(value)
    except (OverflowError, ValueError):
        return None
    return number if math.isfinite(number) else None


def _json_text(value) -> str:
    try:
        return json.dumps(value, default=str)
    except (ValueError, RecursionError):
        return "<unprintable>"
