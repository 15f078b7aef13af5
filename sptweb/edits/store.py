"""Reading and writing overlay files: read, merge, write atomically, under a per-run lock.

The read happens inside the lock, from disk, so two tabs editing different
fields one after the other both keep their change.
"""

from __future__ import annotations

import fcntl
import os
import threading
import time
from contextlib import contextmanager

from ..files import read_regular, write_atomically
from .overlay import EMPTY, OVERLAY_FILE, Overlay, OverlayError, apply_edit, parse_overlay

LOCK_FILE = ".sptweb-overlay.lock"  # the viewer's own; a second viewer waits on it
STALE_TEMP_S = 60.0  # a temp file this old belongs to a writer that died


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
        """Apply a validated edit to the freshest overlay and replace the file atomically.

        Threads of this viewer serialise on a lock; other viewers of the same
        tree (another user's sptweb, a second instance) on a file lock beside
        the overlay, which local disks and NFSv4 honour.
        """
        with self._lock_for(run_dir), _file_lock(run_dir):
            _remove_stale_temp_files(run_dir)
            updated = apply_edit(self.read(run_dir), edit, sidecar_tags)
            try:
                write_atomically(os.path.join(run_dir, OVERLAY_FILE), updated.to_json())
            except OSError as exc:
                raise OverlayWriteError(f"cannot write to {run_dir}: {exc.strerror or exc}") from None
            return updated

    def _lock_for(self, run_dir: str) -> threading.Lock:
        with self._guard:
            return self._locks.setdefault(run_dir, threading.Lock())


@contextmanager
def _file_lock(run_dir: str):
    """An exclusive flock on the viewer's lock file in the run dir, released on exit."""
    try:
        fd = os.open(os.path.join(run_dir, LOCK_FILE), os.O_RDWR | os.O_CREAT, 0o644)
    except OSError as exc:
        raise OverlayWriteError(f"cannot write to {run_dir}: {exc.strerror or exc}") from None
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)  # closing releases the lock


def _remove_stale_temp_files(run_dir: str) -> None:
    """Temp files a killed viewer left behind (`.sptweb-overlay.json.*.tmp`), once they are old."""
    prefix = f".{OVERLAY_FILE}."
    try:
        with os.scandir(run_dir) as entries:
            leftovers = [
                entry.path for entry in entries if entry.name.startswith(prefix) and entry.name.endswith(".tmp")
            ]
        for path in leftovers:
            if time.time() - os.stat(path).st_mtime > STALE_TEMP_S:
                os.unlink(path)
    except OSError:
        pass  # cleaning up is a courtesy, never a reason to fail an edit
