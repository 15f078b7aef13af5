"""Memory housekeeping around the scanner's bulk work: loading an index, a first walk, a save."""

from __future__ import annotations

import ctypes
import ctypes.util
import gc
import sys
from contextlib import contextmanager


@contextmanager
def bulk_allocation(bulk: bool = True):
    """Pause the cyclic garbage collector while millions of objects that live long are made (an index
    load, a first walk): it would traverse them again and again for nothing (twice the time at 100,000
    runs). Afterwards they move to the permanent generation (gc.freeze), out of every later collection,
    and the memory freed meanwhile (the pickled chunks, a walk's temporaries) goes back to the system."""
    if not bulk or not gc.isenabled():
        yield
        return
    gc.disable()
    try:
        yield
    finally:
        gc.enable()
        gc.freeze()
        give_back_free_memory()


def give_back_free_memory() -> None:
    """glibc keeps freed heap pages for later mallocs: 37 MB of them after loading 100,000 runs."""
    if _MALLOC_TRIM is not None:
        _MALLOC_TRIM(0)


def _malloc_trim():
    """glibc's malloc_trim, or None (another libc, another system)."""
    if not sys.platform.startswith("linux"):
        return None
    try:
        return getattr(ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6"), "malloc_trim", None)
    except OSError:
        return None


_MALLOC_TRIM = _malloc_trim()
