"""Parse metrics.csv bytes (Lightning CSVLogger layout) into columnar numpy arrays.

docs/format.md's rules: the header names the columns; `step` and `epoch` are found
by name and either may be missing; an empty cell means "not logged", while
`nan`/`inf` are real values; unparseable cells, short rows and extra cells are
skipped per cell; duplicate names merge; bytes need not be UTF-8.

pyarrow's C++ reader does the common case (benchmarks/bench_metrics.py: 1M
rows in ~0.2 s, where numpy's own text readers took over 4 s); any chunk it
refuses goes through a plain-Python reader that applies the per-cell rules.
"""

from __future__ import annotations

import csv
import os
from dataclasses import dataclass

import numpy as np

STEP, EPOCH = "step", "epoch"
# After a parse this big, Arrow's allocator (mimalloc) is asked to hand back what the parse freed: it
# kept 60 MB after three parses of 300,000 rows, 25 MB once asked (0.5-3 ms, next to ~100 ms of parsing).
RELEASE_AFTER_BYTES = 1 << 20


@dataclass(frozen=True)
class Header:
    """Column layout of one metrics.csv header line."""

    line: bytes  # the raw header line, to notice when the writer rewrites the file
    names: tuple[str, ...]  # one per column, as written
    step_col: int | None
    epoch_col: int | None

    @property
    def metric_columns(self) -> dict[str, list[int]]:
        """Metric name -> its column positions (duplicates merge into one series)."""
        columns: dict[str, list[int]] = {}
        for position, name in enumerate(self.names):
            if position not in (self.step_col, self.epoch_col) and name:
                columns.setdefault(name, []).append(position)
        return columns


@dataclass
class Chunk:
    """Parsed data rows: per-row x columns and, per metric, the rows that logged it."""

    rows: int
    step: np.ndarray  # float64, NaN where the row has no step
    epoch: np.ndarray  # float64, NaN where the row has no epoch
    metrics: dict[str, tuple[np.ndarray, np.ndarray]]  # name -> (row offsets int32, values float64)


def parse_header(line: bytes) -> Header:
    """Read the header line; names are decoded leniently and stripped."""
    text = line.decode("utf-8", errors="replace").rstrip("\r\n")
    text = text.removeprefix("\ufeff")  # a BOM (Excel, PowerShell, utf-8-sig) is not part of the first name
    names = tuple(name.strip() for name in next(csv.reader([text]), []))
    return Header(line, names, _find(names, STEP), _find(names, EPOCH))


def _find(names: tuple[str, ...], wanted: str) -> int | None:
    return names.index(wanted) if wanted in names else None


def parse_rows(body: bytes | memoryview, header: Header) -> Chunk:
    """Parse complete data lines (the caller cuts off any half-written last line)."""
    if len(body) == 0:
        return _empty_chunk()
    pa = _pyarrow()
    try:
        columns, rows = _arrow_columns(body, len(header.names))
    except (pa.ArrowInvalid, UnicodeDecodeError):
        columns, rows = _python_columns(body, len(header.names))
    if len(body) >= RELEASE_AFTER_BYTES:
        pa.default_memory_pool().release_unused()
    return _assemble(columns, rows, header)


def _pyarrow():
    """pyarrow, imported on the first parse, not at the top: 27 MB and 0.2 s a viewer that shows no
    chart never pays. Its allocator then commits memory as used, not a whole arena up front: 6 MB
    instead of 12 after the first small parses, no slower at 1M rows (a user's own setting wins)."""
    os.environ.setdefault("MIMALLOC_ARENA_EAGER_COMMIT", "0")  # read once, when Arrow's mimalloc starts
    import pyarrow

    return pyarrow


def _arrow_columns(body: bytes | memoryview, width: int):
    """(values, valid bool) per column via pyarrow; raises on anything irregular.

    Every column parses to float64: steps pass float32's exact-integer range
    (2**24), and a metric value must come back out as the decimal the file holds.
    """
    pa = _pyarrow()
    import pyarrow.csv as pacsv

    names = [f"c{index}" for index in range(width)]
    types = {name: pa.float64() for name in names}
    # A short or long row, or a cell that is not a number, raises ArrowInvalid:
    # the per-cell reader then takes the chunk.
    table = pacsv.read_csv(
        pa.BufferReader(pa.py_buffer(body)),  # zero-copy over the caller's bytes
        read_options=pacsv.ReadOptions(column_names=names, block_size=4 << 20),  # fastest in a sweep of 1-64 MB
        convert_options=pacsv.ConvertOptions(
            column_types=types,
            null_values=[""],  # only an empty cell is "not logged"; "nan" stays a value
            strings_can_be_null=False,
        ),
    )
    columns = [(column.to_numpy(zero_copy_only=False), _validity(column)) for column in table.columns]
    return columns, table.num_rows


def _validity(column) -> np.ndarray:
    """Which cells hold a value, read off each chunk's validity bitmap: pyarrow.compute's is_null
    would load its compute kernels for this alone, 9 MB of resident memory."""
    if column.null_count == 0:
        return np.ones(len(column), dtype=bool)
    parts = []
    for chunk in column.chunks:
        bitmap = chunk.buffers()[0]  # bit i (least significant first) set: cell i holds a value
        if bitmap is None:
            parts.append(np.ones(len(chunk), dtype=bool))
            continue
        bits = np.unpackbits(np.frombuffer(bitmap, dtype=np.uint8), bitorder="little")
        parts.append(bits[chunk.offset : chunk.offset + len(chunk)].astype(bool))
    return np.concatenate(parts)


def _python_columns(body: bytes | memoryview, width: int):
    """The per-cell reader: slow but forgiving; used only for chunks pyarrow refuses."""
    lines = bytes(body).decode("utf-8", errors="replace").splitlines()
    lines = [line for line in lines if line.strip()]
    values = np.full((width, len(lines)), np.nan)
    valid = np.zeros((width, len(lines)), dtype=bool)
    for row, line in enumerate(lines):
        for position, cell in enumerate(line.split(",")[:width]):
            cell = cell.strip()
            if not cell:
                continue
            try:
                values[position, row] = float(cell)
            except ValueError:
                continue
            valid[position, row] = True
    return [(values[position], valid[position]) for position in range(width)], len(lines)


def _assemble(columns, rows: int, header: Header) -> Chunk:
    step = _x_column(columns, header.step_col, rows)
    epoch = _x_column(columns, header.epoch_col, rows)
    metrics = {}
    for name, positions in header.metric_columns.items():
        values, valid = columns[positions[0]]
        if len(positions) > 1:  # duplicate names: a later column fills rows an earlier one left empty
            values, valid = values.copy(), valid.copy()
            for position in positions[1:]:
                other_values, other_valid = columns[position]
                fill = other_valid & ~valid
                values[fill] = other_values[fill]
                valid |= other_valid
        if valid.all():  # a metric logged on every row: no gather needed
            metrics[name] = (np.arange(rows, dtype=np.int32), values.astype(np.float64, copy=False))
            continue
        offsets = np.flatnonzero(valid).astype(np.int32)
        if len(offsets):
            metrics[name] = (offsets, values[offsets].astype(np.float64, copy=False))
    return Chunk(rows, step, epoch, metrics)


def _x_column(columns, position: int | None, rows: int) -> np.ndarray:
    if position is None:
        return np.full(rows, np.nan)
    values, valid = columns[position]
    return np.where(valid & np.isfinite(values), values, np.nan)


def _empty_chunk() -> Chunk:
    return Chunk(0, np.empty(0), np.empty(0), {})


def looks_like_header(line: bytes) -> bool:
    """A CSV line with no number in it but some text: a header, not data (rows hold numbers or nothing)."""
    cells = [cell.strip().strip(b'"') for cell in line.rstrip(b"\r").split(b",")]
    text = [cell for cell in cells if cell]
    if not text:
        return False
    for cell in text:
        try:
            float(cell)
            return False
        except ValueError:
            continue
    return not all(cell.lower() in (b"nan", b"inf", b"-inf") for cell in text)
