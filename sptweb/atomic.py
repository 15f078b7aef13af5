"""Replace a file so readers see the old bytes or the new ones, never a mix.

Shared by the viewer's two writers: the overlay store (edits beside a run)
and the persisted index (in the user's cache dir). Neither ever writes a
training job's own files.
"""

from __future__ import annotations

import os
import tempfile


def write_atomically(path: str, data: bytes) -> None:
    """Temp file in the same directory, fsync, rename; the temp file is removed on failure.

    Raises OSError (from creating, writing or renaming); the file at `path` is then unchanged.
    """
    directory = os.path.dirname(path) or "."
    fd, tmp = tempfile.mkstemp(dir=directory, prefix=f".{os.path.basename(path)}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise
