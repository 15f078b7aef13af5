"""Per-run log stream lists, cached until one of their directories changes.

The only place log files are listed or opened.
A stream is only ever read through its id in the discovered set, so no
request can name a file outside it.
"""

from __future__ import annotations

import os
import threading
from dataclasses import replace
from typing import TYPE_CHECKING, NamedTuple

from . import reader, search
from .discovery import LogPlaces, LogStream, discover, places_looked, watched_dirs
from .excerpt import EXCERPT_WINDOW, error_excerpt, pointed_line

if TYPE_CHECKING:  # run records come from scan/, which imports this package
    from ..scan.records import RunRecord

MAX_CACHED_RUNS = 512  # stream lists are small; this only bounds a days-long session


class Failure(NamedTuple):
    """Why a run ended badly, as its logs tell."""

    stream: LogStream
    excerpt: bytes  # the last traceback, or the last lines
    offset: int | None  # where its exception line starts in the file


class LogStore:
    def __init__(self, templates: tuple[str, ...] = (), roots: tuple[str, ...] = ()) -> None:
        # --logs templates; and output_dir is followed only below the runs roots
        self.places = LogPlaces(templates, tuple(os.path.realpath(root) for root in roots))
        self._cache: dict[str, tuple[tuple, list[LogStream]]] = {}
        self._failures: dict[str, tuple[tuple, Failure | None]] = {}  # run id -> (its logs' stats, failure)
        self._lock = threading.Lock()

    def streams(self, run: RunRecord) -> list[LogStream]:
        """The run's streams with current sizes; re-discovered only when a watched directory changed."""
        signature = tuple(_mtime(directory) for directory in watched_dirs(run, self.places))
        with self._lock:
            cached = self._cache.get(run.run_id)
        if cached is None or cached[0] != signature:
            cached = (signature, discover(run, self.places))
            with self._lock:
                if len(self._cache) >= MAX_CACHED_RUNS:
                    self._cache.clear()
                self._cache[run.run_id] = cached
        return [_with_stat(stream) for stream in cached[1]]

    def find(self, run: RunRecord, stream_id: str) -> LogStream | None:
        return next((stream for stream in self.streams(run) if stream.id == stream_id), None)

    def tail(self, stream: LogStream) -> reader.LogChunk:
        return reader.read_tail(stream.path)

    def before(self, stream: LogStream, offset: int) -> reader.LogChunk:
        return reader.read_before(stream.path, offset)

    def after(self, stream: LogStream, offset: int) -> reader.LogChunk:
        return reader.read_after(stream.path, offset)

    def search(self, stream: LogStream, query: search.Query, limit: int = search.MAX_MATCHES):
        return search.search(stream.path, query, limit, search.BUDGET_S)  # read at call time: tests shorten it

    def failure(self, run: RunRecord) -> Failure | None:
        """The stream that most likely says why the run ended, its last traceback (or last lines), and
        where in the file its exception line is (the Logs tab opens there).

        Kept while the run's logs keep their sizes and mtimes: a failed run's page asks twice (its
        header and its Logs tab), and its live header refreshes ask again."""
        streams = [stream for stream in self.streams(run) if stream.size]
        signature = tuple((stream.path, stream.size, stream.mtime) for stream in streams)
        with self._lock:
            cached = self._failures.get(run.run_id)
        if cached is not None and cached[0] == signature:
            return cached[1]
        failure = self._find_failure(streams)
        with self._lock:
            if len(self._failures) >= MAX_CACHED_RUNS:
                self._failures.clear()
            self._failures[run.run_id] = (signature, failure)
        return failure

    def _find_failure(self, streams: list[LogStream]) -> Failure | None:
        preferred = sorted(
            streams, key=lambda stream: (stream.kind != "err", stream.place not in ("slurm", "template"))
        )
        for stream in preferred:
            try:
                tail = reader.read_tail(stream.path, EXCERPT_WINDOW)
            except OSError:
                continue
            excerpt = error_excerpt(tail.data)
            if excerpt:
                pointed = pointed_line(tail.data)
                return Failure(stream, excerpt, tail.start + pointed if pointed is not None else None)
        return None

    def places_looked(self, run: RunRecord) -> list[str]:
        return places_looked(run, self.places)


def _with_stat(stream: LogStream) -> LogStream:
    try:
        stat = os.stat(stream.path)
    except OSError:
        return stream
    return replace(stream, size=stat.st_size, mtime=stat.st_mtime)


def _mtime(directory: str) -> int | None:
    try:
        return os.stat(directory).st_mtime_ns
    except OSError:
        return None
