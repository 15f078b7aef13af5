"""The viewer's two file primitives: replace a file atomically, and read a small file safely.

`write_atomically` is shared by the viewer's two writers: the overlay store
(edits beside a run) and the persisted index (in the user's cache dir).
Neither ever writes a training job's own files. `read_regular` is how every
small file of a run (sidecar, overlay, side files) is read: a FIFO, a socket,
a device or a link to /dev/zero never blocks or floods the reader.
"""

from __future__ import annotations

import os
import stat
import tempfile
from collections.abc import Iterable

SMALL_FILE_LIMIT = 16 << 20  # sidecars, overlays and their siblings are kilobytes; past this is not ours


def write_atomically(path: str, data: bytes | Iterable[bytes]) -> None:
    """Temp file in the same directory, fsync, rename; the temp file is removed on failure.

    `data`: the bytes, or pieces of them made as they are written (a big file never whole in memory).
    Raises OSError (from creating, writing or renaming); the file at `path` is then unchanged.
    """
    directory = os.path.dirname(path) or "."
    fd, tmp = tempfile.mkstemp(dir=directory, prefix=f".{os.path.basename(path)}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as handle:
            for piece in [data] if isinstance(data, bytes) else data:
                handle.write(piece)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise


def read_regular(path: str, limit: int = SMALL_FILE_LIMIT, dir_fd: int | None = None) -> bytes:
    """The bytes of a regular file of at most `limit` bytes; OSError (or ValueError for a size) otherwise.

    `dir_fd`: `path` is relative to this open directory (see scan/folder.py)."""
    fd = os.open(
        path, os.O_RDONLY | os.O_NONBLOCK, dir_fd=dir_fd
    )  # a FIFO opens at once instead of waiting for a writer
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise OSError(f"{os.path.basename(path)} is not a regular file")
        if info.st_size > limit:
            raise ValueError(f"{os.path.basename(path)} is {info.st_size:,} bytes; at most {limit:,} are read")
        # Sized by fstat (asking for `limit` would allocate 4 MB per file: +3 s for a cold 10,000-run walk).
        chunks, wanted = [], info.st_size + 1
        while wanted > 0 and (chunk := os.read(fd, wanted)):
            chunks.append(chunk)
            wanted -= len(chunk)
        return b"".join(chunks)[:limit]
    finally:
        os.close(fd)


def is_under(path: str, root: str) -> bool:
    """`path` is `root` or inside it (both absolute and normalised; no I/O)."""
    return path == root or path.startswith(root + os.sep)
