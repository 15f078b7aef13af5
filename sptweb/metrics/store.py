"""Parsed metrics per run, kept current incrementally, in an LRU bounded by memory.

A training job appends rows while we read; it rewrites the whole file with a
wider header when a new metric appears; the last line may be half-written.
So each refresh parses only the bytes past the last complete line, and
starts over when the file shrank, was replaced, or its header changed.
"""

from __future__ import annotations

import os
import threading
from collections import OrderedDict
from concurrent.futures import ThreadPoolExecutor
from stat import S_ISREG

import numpy as np

from .csvparse import Chunk, Header, parse_header, parse_rows
from .growable import GrowableArray

METRICS_FILE = "metrics.csv"
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
        self.header: Header | None = None
        self.rows = 0
        self.offset = 0  # bytes consumed: the header and every complete data line
        self.signature: tuple[int, int, int] | None = None
        self.step_x = GrowableArray(np.float64, growing=self.growing)  # per row: x in step mode (NaN: no x)
        self.epoch_x = GrowableArray(
            np.float64, growing=self.growing
        )  # per row: x in epoch mode; empty without an epoch column
        self.wall_x = GrowableArray(np.float64, growing=self.growing)  # per row: wall time (event files only)
        self.series: dict[str, tuple[GrowableArray, GrowableArray]] = {}  # key -> (rows int32, values float32)
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
        with open(self.path, "rb") as handle:
            if self.header is not None and not self._still_aligned(handle):
                self._reset()  # rewritten in place (e.g. a wider header)
            self._read_new_bytes(handle, stat.st_size)
        self.signature = signature
        return True

    def _still_aligned(self, handle) -> bool:
        """Same header line, and the byte before our offset still ends a line."""
        assert self.header is not None  # only called once a header was read
        handle.seek(0)
        if handle.read(len(self.header.line)) != self.header.line:
            return False
        handle.seek(self.offset - 1)
        return handle.read(1) == b"\n"

    def _read_new_bytes(self, handle, size: int) -> None:
        handle.seek(self.offset)
        data = handle.read(max(0, size - self.offset))
        start = 0
        if self.header is None:
            start = data.find(b"\n") + 1
            if start == 0:
                return  # the header line itself is still being written
            self.header = parse_header(data[:start])
            self.offset += start
        stop = data.rfind(b"\n") + 1  # never take a half-written last line
        if stop > start:
            self._append(parse_rows(memoryview(data)[start:stop], self.header))  # a view: no 100 MB copy
            self.offset += stop - start

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
                    GrowableArray(np.float32, growing=self.growing),
                )
            rows, ys = self.series[name]
            rows.extend(offsets + first_row)
            ys.extend(values)
        self.rows += chunk.rows
        self.version += 1  # derived series notice and extend themselves (series.py)

    # -- what views and series.py read -----------------------------------------

    @property
    def keys(self) -> list[str]:
        """Every metric the header names (one logged nowhere yet is an empty series)."""
        return sorted(self.header.metric_columns) if self.header is not None else []

    @property
    def has_epoch(self) -> bool:
        return self.header is not None and self.header.epoch_col is not None

    @property
    def has_wall(self) -> bool:
        """Rows carry their wall time (TensorBoard events do; metrics.csv does not)."""
        return len(self.wall_x) > 0

    def has_x(self, x_mode: str) -> bool:
        return x_mode == "step" or (x_mode == "epoch" and self.has_epoch) or (x_mode == "wall" and self.has_wall)

    def raw(self, key: str, x_mode: str, start: int = 0) -> tuple[np.ndarray, np.ndarray]:
        """(x, y) of the key's points from the `start`-th on, in file order; x is NaN where a row has none."""
        if key not in self.series:
            return np.empty(0), np.empty(0, dtype=np.float32)
        rows, ys = self.series[key]
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


class EpochOfStep:
    """The epoch each step belongs to, learned from the rows that log both.

    Lightning's `LearningRateMonitor` (and any metric logged with its own
    call) writes rows with a step but an empty epoch cell; in epoch mode such
    a row takes the epoch of its step, or of the nearest earlier step seen so
    far (epochs never go back as steps grow). Only the steps where the epoch
    changes are kept, so an append costs its own rows plus one per epoch.
    """

    def __init__(self) -> None:
        self.steps = np.empty(0)  # ascending: the first step seen of each epoch
        self.epochs = np.empty(0)

    def fill(self, step: np.ndarray, epoch: np.ndarray) -> np.ndarray:
        known = np.isfinite(step) & np.isfinite(epoch)
        if known.any():
            self._learn(step[known], epoch[known])
        missing = np.isnan(epoch) & np.isfinite(step)
        if not missing.any() or len(self.steps) == 0:
            return epoch
        at = np.searchsorted(self.steps, step[missing], side="right") - 1
        filled = epoch.copy()
        filled[np.flatnonzero(missing)] = np.where(at >= 0, self.epochs[np.maximum(at, 0)], np.nan)
        return filled

    def _learn(self, steps: np.ndarray, epochs: np.ndarray) -> None:
        steps, epochs = np.concatenate([self.steps, steps]), np.concatenate([self.epochs, epochs])
        order = np.argsort(steps, kind="stable")
        steps, epochs = steps[order], epochs[order]
        changes = np.concatenate([[True], epochs[1:] != epochs[:-1]])
        self.steps, self.epochs = steps[changes], epochs[changes]


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
            self._runs.move_to_end(run_dir)
        with metrics.lock:
            metrics.refresh()
            size = metrics.nbytes
        self._evict(keep=run_dir, size=size)
        return metrics

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
