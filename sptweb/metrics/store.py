"""Parsed metrics per run, kept current incrementally, in an LRU bounded by memory.

A training job appends rows while we read; it rewrites the whole file with a
wider header when a new metric appears; the last line may be half-written.
So each refresh parses only the bytes past the last complete line, and
starts over when the file shrank, was replaced, or its header changed.
"""

from __future__ import annotations

import os
import threading
import time
from collections import OrderedDict
from concurrent.futures import ThreadPoolExecutor
from stat import S_ISREG

import numpy as np

from .csvparse import Chunk, Header, looks_like_header, parse_header, parse_rows
from .epochs import EpochOfStep
from .growable import GrowableArray

METRICS_FILE = "metrics.csv"
# A file that has not grown for this long has a finished last line, newline or not.
FINAL_LINE_QUIET_S = 30.0
# Sorted (and smoothed) series kept per run, by (metric, x mode); least recently used dropped.
DERIVED_ENTRIES = 64
HEADER_LIMIT = 1 << 20
PARSE_THREADS = 4  # parallel loads for compare pages; pyarrow's reader runs without the GIL  # a header line longer than this is not a metrics.csv header


class RunMetrics:
    """One run's metrics.csv as columnar arrays; call `refresh()` under `lock`."""

    def __init__(self, run_dir: str, growing: bool = False) -> None:
        self.path = os.path.join(run_dir, METRICS_FILE)
        self.growing = growing  # a running run: reserve room for appends
        self.lock = threading.Lock()  # one parse at a time; concurrent readers wait, then reuse it
        self.version = 0  # bumped whenever the arrays change
        self._reset()

    def _reset(self) -> None:
        self.header: Header | None = None  # the layout rows are read with (a later header line replaces it)
        self.first_line = b""  # the file's own header line: a rewrite changes it
        self.earlier_keys: set[str] = set()  # metric names of header segments before the current one
        self.notes: list[str] = []  # what the file did that a reader should know (shown on the tab)
        self.repeated_headers = 0
        self.rows = 0
        self.offset = 0  # bytes consumed: the header and every complete data line
        self.signature: tuple[int, int, int] | None = None
        self.step_x = GrowableArray(np.float64, growing=self.growing)  # per row: x in step mode (NaN: no x)
        self.epoch_x = GrowableArray(
            np.float64, growing=self.growing
        )  # per row: x in epoch mode; empty without an epoch column
        self.wall_x = GrowableArray(np.float64, growing=self.growing)  # per row: wall time (event files only)
        # key -> (rows int32, values float64: the file's decimals come back out exactly, see README)
        self.series: dict[str, tuple[GrowableArray, GrowableArray]] = {}
        self.epoch_of_step = EpochOfStep()  # fills the epoch of rows that log only a step
        self.version += 1
        self.derived: OrderedDict = OrderedDict()  # series.py's SortedSeries, extended on append

    # -- reading the file ----------------------------------------------------

    def refresh(self) -> bool:
        """Parse whatever was appended since the last call; True when anything changed."""
        try:
            stat = os.stat(self.path)
            if not S_ISREG(stat.st_mode):  # a FIFO or a device would block the read forever
                raise FileNotFoundError(self.path)
        except FileNotFoundError:
            if self.signature is None:
                return False
            self._reset()
            return True
        signature = (stat.st_ino, stat.st_mtime_ns, stat.st_size)
        if signature == self.signature:
            return False
        if self.signature is not None and (stat.st_ino != self.signature[0] or stat.st_size < self.offset):
            self._reset()  # replaced or truncated: start over
        # A writer that is done may leave its last line without a newline: take it once the run has
        # ended or the file has been still for a while (were it to grow again, alignment starts over).
        final = not self.growing or time.time() - stat.st_mtime > FINAL_LINE_QUIET_S
        with open(self.path, "rb") as handle:
            if self.header is not None and not self._still_aligned(handle):
                self._reset()  # rewritten in place (e.g. a wider header)
            self._read_new_bytes(handle, stat.st_size, final)
        self.signature = signature
        return True

    def _still_aligned(self, handle) -> bool:
        """Same header line, and the byte before our offset still ends a line."""
        assert self.header is not None  # only called once a header was read
        handle.seek(0)
        if handle.read(len(self.first_line)) != self.first_line:
            return False
        handle.seek(self.offset - 1)
        return handle.read(1) == b"\n"

    def _read_new_bytes(self, handle, size: int, final: bool = False) -> None:
        handle.seek(self.offset)
        data = handle.read(max(0, size - self.offset))
        start = 0
        if self.header is None:
            start = data.find(b"\n") + 1
            if start == 0:
                return  # the header line itself is still being written
            self.header = parse_header(data[:start])
            self.first_line = data[:start]
            self.offset += start
        stop = data.rfind(b"\n") + 1  # never take a half-written last line…
        if final and stop < len(data):
            stop = len(data)  # …unless the writer is done with it
        if stop > start:
            for header, body in self._segments(data, start, stop):
                self._switch_header(header)
                self._append(parse_rows(body, self.header))
            self.offset += stop - start

    def _segments(self, data: bytes, start: int, stop: int) -> list[tuple[Header | None, bytes | memoryview]]:
        """The body cut at header lines in the middle of the file (concatenated or resumed files).

        A repeated header is skipped; a different one starts a segment read with
        its own columns. Data rows hold numbers, so a body without the step or
        epoch column names (or the header's own text) has no header in it.
        """
        assert self.header is not None
        markers = [self.first_line.strip().lstrip(b"\xef\xbb\xbf"), b"step", b"epoch"]
        if not any(marker and data.find(marker, start, stop) >= 0 for marker in markers):
            return [(None, memoryview(data)[start:stop])]  # a view: no 100 MB copy
        segments: list[tuple[Header | None, bytes]] = []
        lines: list[bytes] = []
        header: Header | None = None
        rows_before = self.rows
        for line in data[start:stop].split(b"\n"):
            names = parse_header(line).names if looks_like_header(line) else ()
            current = (header or self.header).names
            # A header names step, epoch or a column already known; a line of junk text is not one.
            if not {"step", "epoch", *current} & set(names):
                lines.append(line)
                continue
            if names == current:
                self.repeated_headers += 1
                continue
            rows_before += sum(1 for row in lines if row.strip())
            segments.append((header, b"\n".join(lines)))
            lines, header = [], parse_header(line + b"\n")
            self.notes.append(f"a new header line after data row {rows_before}: the rows below it use its columns")
        segments.append((header, b"\n".join(lines)))
        return [(header, body) for header, body in segments if body.strip() or header is not None]

    def _switch_header(self, header: Header | None) -> None:
        if header is not None and self.header is not None:
            self.earlier_keys |= set(self.header.metric_columns)
            self.header = header

    @property
    def warning(self) -> str | None:
        notes = list(self.notes)
        if self.repeated_headers:
            notes.append(
                f"{self.repeated_headers} repeated header line{'s' if self.repeated_headers > 1 else ''} skipped"
            )
        return "; ".join(notes) or None

    def _append(self, chunk: Chunk) -> None:
        assert self.header is not None  # rows are only parsed after their header
        if chunk.rows == 0:
            return
        first_row = self.rows
        row_index = np.arange(first_row, first_row + chunk.rows, dtype=np.float64)
        self.step_x.extend(_x_with_fallback(chunk.step, chunk.epoch, row_index, self.header.step_col))
        if self.has_epoch:
            epoch = self.epoch_of_step.fill(chunk.step, chunk.epoch)
            self.epoch_x.extend(_x_with_fallback(epoch, chunk.step, row_index, self.header.epoch_col))
        for name, (offsets, values) in chunk.metrics.items():
            if name not in self.series:
                self.series[name] = (
                    GrowableArray(np.int32, growing=self.growing),
                    GrowableArray(np.float64, growing=self.growing),
                )
            rows, ys = self.series[name]
            rows.extend(offsets + first_row)
            ys.extend(values)
        self.rows += chunk.rows
        self.version += 1  # derived series notice and extend themselves (series.py)

    # -- what views and series.py read -----------------------------------------

    @property
    def keys(self) -> list[str]:
        """Every metric the header names (one logged nowhere yet is an empty series), earlier segments' too."""
        return sorted(set(self.header.metric_columns) | self.earlier_keys) if self.header is not None else []

    @property
    def has_epoch(self) -> bool:
        return self.header is not None and self.header.epoch_col is not None

    @property
    def has_wall(self) -> bool:
        """Rows carry their wall time (TensorBoard events do; metrics.csv does not)."""
        return len(self.wall_x) > 0

    def has_x(self, x_mode: str) -> bool:
        return (
            x_mode == "step"
            or (x_mode == "epoch" and self.has_epoch)
            or (x_mode in ("wall", "relative") and self.has_wall)
        )

    def raw(self, key: str, x_mode: str, start: int = 0) -> tuple[np.ndarray, np.ndarray]:
        """(x, y) of the key's points from the `start`-th on, in file order; x is NaN where a row has none."""
        if key not in self.series:
            return np.empty(0), np.empty(0)
        rows, ys = self.series[key]
        if x_mode == "relative":  # seconds since the run's first row: runs started at different times line up
            walls = self.wall_x.view()
            return walls[rows.view()[start:]] - (walls[0] if len(walls) else 0.0), ys.view()[start:]
        x_column = {"step": self.step_x, "epoch": self.epoch_x, "wall": self.wall_x}[x_mode]
        return x_column.view()[rows.view()[start:]], ys.view()[start:]

    def point_count(self, key: str) -> int:
        return len(self.series[key][1]) if key in self.series else 0

    @property
    def nbytes(self) -> int:
        arrays = [self.step_x, self.epoch_x, self.wall_x, *(array for pair in self.series.values() for array in pair)]
        derived = sum(series.nbytes for series in self.derived.values())
        return sum(array.nbytes for array in arrays) + derived


def _x_with_fallback(own: np.ndarray, other: np.ndarray, row_index: np.ndarray, column: int | None) -> np.ndarray:
    """docs/format.md: a row with neither step nor epoch has its data-row index as x.

    A file without this column at all uses the row index for every row.
    """
    if column is None:
        return row_index
    return np.where(np.isnan(own) & np.isnan(other), row_index, own)


class MetricsStore:
    """RunMetrics per run directory, least recently used evicted past a byte budget."""

    def __init__(self, budget_bytes: int) -> None:
        self.budget_bytes = budget_bytes
        self._runs: OrderedDict[str, RunMetrics] = OrderedDict()
        self._sizes: dict[str, int] = {}  # bytes per run as of its last get: eviction without re-measuring all
        self._lock = threading.Lock()
        self._pool = ThreadPoolExecutor(max_workers=PARSE_THREADS, thread_name_prefix="sptweb-parse")

    def get(self, run_dir: str, growing: bool = False, kind: str = "csv") -> RunMetrics:
        """The run's metrics, refreshed from disk (only new bytes are parsed).

        `kind="tensorboard"`: the run's event files instead of metrics.csv.
        """
        from .tfevents import RunEvents  # builds on RunMetrics, so it imports this module

        with self._lock:
            metrics = self._runs.get(run_dir)
            if metrics is None:
                loader = RunEvents if kind == "tensorboard" else RunMetrics
                metrics = self._runs[run_dir] = loader(run_dir, growing)
            metrics.growing = growing  # a run that ended has a final last line (see refresh)
            self._runs.move_to_end(run_dir)
        with metrics.lock:
            metrics.refresh()
            size = metrics.nbytes
        self._evict(keep=run_dir, size=size)
        return metrics

    def prefetch(self, run_dir: str, growing: bool = False, kind: str = "csv") -> None:
        """Start parsing a run in the background: the page's chart requests then find it parsed (or wait less)."""
        self._pool.submit(self.get, run_dir, growing, kind)

    def get_many(self, requests: list[tuple[str, bool, str]]) -> list[RunMetrics]:
        """`get` for many runs at once: pyarrow parses without the GIL, so files load in parallel."""
        return list(self._pool.map(lambda request: self.get(*request), requests))

    def header(self, run_dir: str, kind: str = "csv") -> Header | None:
        """The metrics.csv header without parsing rows (a page can list panels before any chart loads).

        Event files have no header: their tags are known once they are read.
        """
        if kind == "tensorboard":
            return self.get(run_dir, kind=kind).header
        with self._lock:
            metrics = self._runs.get(run_dir)
        if metrics is not None and metrics.header is not None:
            return metrics.header
        path = os.path.join(run_dir, METRICS_FILE)
        try:
            if not S_ISREG(os.stat(path).st_mode):  # a FIFO would block the read forever
                return None
            with open(path, "rb") as handle:
                line = handle.readline(HEADER_LIMIT)
        except OSError:
            return None
        return parse_header(line) if line.endswith(b"\n") else None

    def keys(self, run_dir: str, kind: str = "csv") -> list[str]:
        header = self.header(run_dir, kind)
        return sorted(header.metric_columns) if header else []

    def _evict(self, keep: str, size: int) -> None:
        with self._lock:
            if keep in self._runs:
                self._sizes[keep] = size
            total = sum(self._sizes.values())
            for run_dir in list(self._runs):
                if total <= self.budget_bytes:
                    break
                if run_dir != keep:
                    del self._runs[run_dir]
                    total -= self._sizes.pop(run_dir, 0)

    @property
    def nbytes(self) -> int:
        with self._lock:
            return sum(metrics.nbytes for metrics in self._runs.values())
