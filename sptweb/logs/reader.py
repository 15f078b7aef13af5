"""Read a log by seeking: the tail, a window before an offset, or the bytes after one.

Never reads a whole file: a 2 GB log costs one seek and one read of the window.
Windows start on a line boundary; the last, unfinished line is reported
separately so a follower can fetch it again once it is complete.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

WINDOW = 1 << 20  # about 1 MB: the tail shown when a log opens, and each "load earlier" page
MAX_FOLLOW = 4 << 20  # a follower that fell this far behind skips ahead to the tail


@dataclass(frozen=True)
class LogChunk:
    """Bytes [start, end) of the file, plus an unfinished last line [end, end + len(partial))."""

    start: int
    end: int  # the next follow read starts here
    size: int  # file size when read
    data: bytes  # complete lines only
    partial: bytes = b""  # the line still being written (no newline yet)
    skipped: int = 0  # bytes jumped over because the follower fell too far behind


def read_tail(path: str, window: int = WINDOW) -> LogChunk:
    size = os.path.getsize(path)
    return read_before(path, size, window)


def read_before(path: str, before: int, window: int = WINDOW) -> LogChunk:
    """The window of complete lines ending at `before` (which is clamped to the file)."""
    with open(path, "rb") as handle:
        size = os.fstat(handle.fileno()).st_size
        before = max(0, min(before, size))
        start = max(0, before - window)
        handle.seek(start)
        data = handle.read(before - start)
    if start > 0:  # drop the first, cut-off line: windows start on a line boundary
        cut = data.find(b"\n")
        if cut >= 0:
            start, data = start + cut + 1, data[cut + 1 :]
    data, partial = _split_partial(data) if before == size else (data, b"")
    return LogChunk(start, start + len(data), size, data, partial)


def read_after(path: str, offset: int, limit: int = MAX_FOLLOW) -> LogChunk:
    """Complete lines from `offset` on (only the new bytes); skips ahead if more than `limit` arrived."""
    with open(path, "rb") as handle:
        size = os.fstat(handle.fileno()).st_size
        if offset > size:  # truncated or replaced: start again from the tail
            offset = 0
        if size - offset > limit:
            tail = read_before(path, size)
            return LogChunk(tail.start, tail.end, tail.size, tail.data, tail.partial, skipped=tail.start - offset)
        handle.seek(offset)
        data = handle.read(size - offset)
    data, partial = _split_partial(data)
    return LogChunk(offset, offset + len(data), size, data, partial)


def _split_partial(data: bytes) -> tuple[bytes, bytes]:
    cut = data.rfind(b"\n") + 1
    return data[:cut], data[cut:]
