"""Per-run media events, kept current by parsing only the lines appended to media.jsonl,
and the one safe way to reach a media file."""

from __future__ import annotations

import os
import threading
from collections import OrderedDict
from collections.abc import Callable
from stat import S_ISREG
from typing import Any

from .events import MediaEvent, parse_line

MEDIA_FILE = "media.jsonl"
MEDIA_DIR = "media"
MAX_CACHED_RUNS = 256  # events are small; this bounds a days-long session


class RunMedia:
    """One run's media.jsonl; `refresh()` reads only the bytes past the last complete line."""

    def __init__(self, run_dir: str) -> None:
        self.path = os.path.join(run_dir, MEDIA_FILE)
        self.lock = threading.Lock()
        self._reset()

    def _reset(self) -> None:
        self.events: list[MediaEvent] = []
        self.offset = 0
        self.bad_lines = 0  # lines that were not events: counted and shown, never fatal
        self.signature: tuple[int, int, int] | None = None

    def refresh(self) -> None:
        try:
            stat = os.stat(self.path)
            if not S_ISREG(stat.st_mode):  # a FIFO or a device would block the read forever
                raise FileNotFoundError(self.path)
        except OSError:
            self._reset()
            return
        signature = (stat.st_ino, stat.st_mtime_ns, stat.st_size)
        if signature == self.signature:
            return
        if self.signature is not None and (stat.st_ino != self.signature[0] or stat.st_size < self.offset):
            self._reset()  # replaced or truncated: read again
        with open(self.path, "rb") as handle:
            handle.seek(self.offset)
            data = handle.read(stat.st_size - self.offset)
        complete = data[: data.rfind(b"\n") + 1]  # a partial last line waits until it is finished
        for line in complete.splitlines():
            if not line.strip():
                continue
            event = parse_line(line, len(self.events))
            if event is None:
                self.bad_lines += 1
            else:
                self.events.append(event)
        self.offset += len(complete)
        self.signature = signature


class EmbeddedMedia:
    """The media of a run whose images live inside its TensorBoard event files (read with its scalars)."""

    bad_lines = 0

    def __init__(self, events) -> None:
        self.events: list[MediaEvent] = events.images
        self.read = events.read_image


class MediaStore:
    def __init__(self, embedded: Callable[[str], Any] | None = None) -> None:
        """`embedded(run_dir)`: a TensorBoard run's parsed events (`images`, `read_image(ref)`)."""
        self._runs: OrderedDict[str, RunMedia] = OrderedDict()
        self._lock = threading.Lock()
        self._embedded = embedded

    def get(self, run_dir: str, kind: str = "spt") -> RunMedia | EmbeddedMedia:
        """The run's media events: media.jsonl, or the images of its event files for `kind="tensorboard"`."""
        if kind == "tensorboard" and self._embedded is not None:
            return EmbeddedMedia(self._embedded(run_dir))
        with self._lock:
            media = self._runs.get(run_dir)
            if media is None:
                media = self._runs[run_dir] = RunMedia(run_dir)
                while len(self._runs) > MAX_CACHED_RUNS:
                    self._runs.popitem(last=False)
            self._runs.move_to_end(run_dir)
        with media.lock:
            media.refresh()
        return media

    def exists(self, run_dir: str, relative: str, kind: str = "spt") -> bool:
        return kind == "tensorboard" or safe_media_path(run_dir, relative) is not None

    def embedded_bytes(self, run_dir: str, ref: str) -> bytes | None:
        """An image stored inside a TensorBoard run's event file, by its media path."""
        return self._embedded(run_dir).read_image(ref) if self._embedded is not None else None

    def file_path(self, run_dir: str, relative: str) -> str | None:
        """The file to serve for a media URL, or None (outside media/, missing, or escaping)."""
        return safe_media_path(run_dir, relative)


def safe_media_path(run_dir: str, relative: str) -> str | None:
    """The real path of a file under <run_dir>/media/, or None.

    Symlinks are resolved first, so `..`, absolute paths and links that point
    out of the media directory all fail the containment check.
    """
    if not relative or "\x00" in relative or os.path.isabs(relative):
        return None
    media_root = os.path.realpath(os.path.join(run_dir, MEDIA_DIR))
    target = os.path.realpath(os.path.join(run_dir, relative))
    if not target.startswith(media_root + os.sep) or not os.path.isfile(target):
        return None
    return target
