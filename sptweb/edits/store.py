"""Reading and writing overlay files: read, merge, write atomically, under a per-run lock.

The read happens inside the lock, from disk, so two tabs editing different
fields one after the other both keep their change.
"""

from __future__ import annotations

import os
import threading

from ..files import read_regular, write_atomically
from .overlay import EMPTY, OVERLAY_FILE, Overlay, OverlayError, apply_edit, parse_overlay


class OverlayWriteError(Exception):
    """The run directory cannot take the overlay (permissions, full disk); nothing was changed."""


class OverlayStore:
    def __init__(self) -> None:
        self._locks: dict[str, threading.Lock] = {}
        self._guard = threading.Lock()

    def read(self, run_dir: str) -> Overlay:
        """The overlay on disk; EMPTY when there is none; OverlayError when it is unreadable."""
        try:
            return parse_overlay(read_regular(os.path.join(run_dir, OVERLAY_FILE)))
        except FileNotFoundError:
            return EMPTY
        except (OSError, ValueError) as exc:  # not a regular file, too large, no permission
            raise OverlayError(f"overlay unreadable: {getattr(exc, 'strerror', None) or exc}") from None

    def edit(self, run_dir: str, edit: dict, sidecar_tags: tuple[str, ...]) -> Overlay:
        """Apply a validated edit to the freshest overlay and replace the file atomically."""
        with self._lock_for(run_dir):
            updated = apply_edit(self.read(run_dir), edit, sidecar_tags)
            try:
                write_atomically(os.path.join(run_dir, OVERLAY_FILE), updated.to_json())
            except OSError as exc:
                raise OverlayWriteError(f"cannot write to {run_dir}: {exc.strerror or exc}") from None
            return updated

    def _lock_for(self, run_dir: str) -> threading.Lock:
        with self._guard:
            return self._locks.setdefault(run_dir, threading.Lock())
