"""One object for equal values that many runs hold, instead of one copy per run.

100,000 runs share a few dozen hparam keys, tags and statuses, a handful of tag lists, and
listings that are nearly all alike (`<job>_<task>/` holds ("run",); `run/` the same three or
four run files). Shared, they cost memory once, and the persisted index writes them once.
"""

from __future__ import annotations

import sys
from typing import TypeVar

T = TypeVar("T")

INTERN_BELOW = 200  # characters: keys, tags and statuses are names, not blobs someone pasted in
SHARED_VALUES_MAX = 10_000  # distinct values kept; past it (every run unlike the others) none are added

_SHARED: dict = {}


def shared_name(name: str) -> str:
    """The one string object for this name (interned), unless it is too long to be a name."""
    return sys.intern(name) if len(name) < INTERN_BELOW else name


def shared_value(value: T) -> T:
    """The first equal immutable value seen (a tuple, a frozenset), while at most SHARED_VALUES_MAX are kept."""
    if len(_SHARED) >= SHARED_VALUES_MAX:
        return _SHARED.get(value, value)
    return _SHARED.setdefault(value, value)
