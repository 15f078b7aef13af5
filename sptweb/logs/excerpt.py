"""Why a run failed, from the end of its log: the last Python traceback, or the last lines."""

from __future__ import annotations

EXCERPT_WINDOW = 64 << 10  # a traceback fits; the header never reads more than this
MAX_LINES = 40
FALLBACK_LINES = 15  # no traceback: the last lines usually say what killed the job (OOM, time limit)
TRACEBACK = b"Traceback (most recent call last)"


def error_excerpt(tail: bytes) -> bytes:
    """The last traceback in `tail` (to its end), else its last lines; at most MAX_LINES lines."""
    lines = tail.rstrip(b"\n").split(b"\n")
    starts = [index for index, line in enumerate(lines) if TRACEBACK in line]
    kept = lines[starts[-1] :] if starts else [line for line in lines if line.strip()][-FALLBACK_LINES:]
    return b"\n".join(kept[-MAX_LINES:]) + b"\n" if kept else b""


def pointed_line(tail: bytes) -> int | None:
    """Byte offset in `tail` of the line to show first: the exception line of the last traceback
    (`ValueError: …`, the first unindented line after its header), else the last non-empty line."""
    offsets, lines, position = [], [], 0
    for line in tail.split(b"\n"):
        offsets.append(position)
        lines.append(line)
        position += len(line) + 1
    starts = [index for index, line in enumerate(lines) if TRACEBACK in line]
    if starts:
        for index in range(starts[-1] + 1, len(lines)):
            if lines[index].strip() and not lines[index][:1].isspace():
                return offsets[index]
    filled = [index for index, line in enumerate(lines) if line.strip()]
    return offsets[filled[-1]] if filled else None
