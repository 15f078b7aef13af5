"""TensorBoard event files as metric series: scalars per tag, read incrementally, checksums verified.

An event file is a sequence of records: a little-endian u64 length, the
masked CRC-32C of those 8 bytes, the payload (an `Event` protobuf), and the
masked CRC-32C of the payload. A writer appends whole records, so a short
last record is one not yet written: it is left for the next read. A record
whose checksum fails ends the reading of that file, with a message.

The protobuf decoding is tensorboardX's compiled `Event` message and the
checksum the `crc32c` package (both in the `tensorboard` extra:
`pip install 'sptweb[tensorboard]'`); without them a run with event files
says what to install.
"""

from __future__ import annotations

import os
import struct
from dataclasses import dataclass, field

import numpy as np

from ..media.events import MediaEvent
from .csvparse import Chunk, Header
from .store import RunMetrics

HEADER_BYTES = 12  # u64 length + u32 masked crc
FOOTER_BYTES = 4
MAX_READ = 256 << 20  # bytes parsed per refresh and file: a huge file fills over a few requests
EXTRA_HINT = "TensorBoard event files need the tensorboard extra: pip install 'sptweb[tensorboard]'"
EVENTS_PREFIX = "events.out.tfevents."
IMAGE_REF = "tb"  # an image's media path: tb/<event file>/<record offset>/<value index>
MAX_RECORD = 64 << 20  # an image record larger than this is not served
_LENGTH = struct.Struct("<Q")
_CRC = struct.Struct("<I")


def _decoders():
    """(crc32c function, Event message class), or None when the extra is not installed."""
    try:
        from crc32c import crc32c
        from tensorboardX.proto.event_pb2 import Event
    except ImportError:
        return None
    return crc32c, Event


def _masked(crc: int) -> int:
    return (((crc >> 15) | (crc << 17)) + 0xA282EAD8) & 0xFFFFFFFF


@dataclass
class Scalars:
    """Scalar values decoded from a stretch of records, one row per value."""

    steps: list[float] = field(default_factory=list)
    walls: list[float] = field(default_factory=list)  # the event's wall time, epoch seconds
    tags: list[str] = field(default_factory=list)
    values: list[float] = field(default_factory=list)
    images: list[tuple[float, str, int, int]] = field(default_factory=list)  # (step, tag, record offset, value index)


def next_record(view: memoryview, offset: int, crc32c) -> tuple[memoryview | None, int, str | None]:
    """The record at `offset`: (payload, offset after it, None); (None, offset, None) while it is
    not fully written; (None, offset, why) when a checksum fails. The one framing reader of this module."""
    end = len(view)
    if end - offset < HEADER_BYTES:
        return None, offset, None
    (length,) = _LENGTH.unpack_from(view, offset)
    if _masked(crc32c(view[offset : offset + 8])) != _CRC.unpack_from(view, offset + 8)[0]:
        return None, offset, f"bad record length checksum at byte {offset}"
    stop = offset + HEADER_BYTES + length
    if stop + FOOTER_BYTES > end:
        return None, offset, None  # the writer has not finished this record yet
    payload = view[offset + HEADER_BYTES : stop]
    if _masked(crc32c(payload)) != _CRC.unpack_from(view, stop)[0]:
        return None, offset, f"bad record checksum at byte {offset}"
    return payload, stop + FOOTER_BYTES, None


def read_scalars(data: bytes | memoryview, decoders) -> tuple[Scalars, int, str | None]:
    """Decode whole records from `data`: (scalars, bytes consumed, error or None).

    The hot loop of a cold read (about 8 µs a record here, protobuf decoding
    included): the appends are bound locally on purpose.
    """
    crc32c, event_class = decoders
    scalars = Scalars()
    add_step, add_wall = scalars.steps.append, scalars.walls.append
    add_tag, add_value = scalars.tags.append, scalars.values.append
    decode, view, offset = event_class.FromString, memoryview(data), 0
    while True:
        payload, after, error = next_record(view, offset, crc32c)
        if payload is None:
            return scalars, offset, error
        event = decode(payload)
        step, wall = float(event.step), event.wall_time
        for index, value in enumerate(event.summary.value):  # empty for non-summary events (file version, graphs)
            kind = value.WhichOneof("value")
            if kind == "simple_value":
                number = value.simple_value
            elif kind == "tensor" and value.tensor.float_val:  # TF2-style scalars
                number = value.tensor.float_val[0]
            else:
                if kind == "image":  # served from the file itself, by where its record is
                    scalars.images.append((step, value.tag, offset, index))
                continue  # histograms, text: not series
            add_step(step)
            add_wall(wall)
            add_tag(value.tag)
            add_value(number)
        offset = after


class RunEvents(RunMetrics):
    """A run's TensorBoard scalars in the same columns as a metrics.csv: a row per value, x = step or wall time.

    Every event file of the directory is read, in name order (a resumed run
    starts a new one); each only from where the last read stopped.
    """

    def __init__(self, run_dir: str, growing: bool = False) -> None:
        self.run_dir = run_dir
        super().__init__(run_dir, growing)

    def _reset(self) -> None:
        super()._reset()
        self.images: list[MediaEvent] = []  # image summaries, as media events whose path names their record
        self.offsets: dict[str, int] = {}  # event file name -> bytes consumed
        self.sizes: dict[str, int] = {}
        self.error: str | None = None  # a corrupt record, or the missing extra

    @property
    def warning(self) -> str | None:
        return self.error

    def refresh(self) -> bool:
        decoders = _decoders()
        if decoders is None:
            self.error = EXTRA_HINT
            return False
        files = _event_files(self.run_dir)
        if any(size < self.offsets.get(name, 0) for name, size in files.items()):
            self._reset()  # a file was truncated or replaced: read everything again
        changed = False
        for name, size in sorted(files.items()):
            if size == self.sizes.get(name):
                continue
            self.sizes[name] = size
            changed |= self._read_file(name, size, decoders)
        return changed

    def _read_file(self, name: str, size: int, decoders) -> bool:
        start = self.offsets.get(name, 0)
        try:
            with open(os.path.join(self.run_dir, name), "rb") as handle:
                handle.seek(start)
                data = handle.read(min(size - start, MAX_READ))
        except OSError:
            return False
        scalars, consumed, error = read_scalars(data, decoders)
        self.offsets[name] = start + consumed
        for step, tag, offset, index in scalars.images:
            ref = f"{IMAGE_REF}/{name}/{start + offset}/{index}"
            self.images.append(MediaEvent(len(self.images), step, tag, "image", ref, format="png"))
        if error:  # retried only when the file changes again
            self.error = f"{name}: {error}; later records of it are not shown"
        if not scalars.values:
            return bool(scalars.images)
        self._append_scalars(scalars)
        return True

    def _append_scalars(self, scalars: Scalars) -> None:
        tags = list(dict.fromkeys(scalars.tags))
        known = self.header.names if self.header is not None else ("step",)
        names = known + tuple(tag for tag in tags if tag not in known)
        if self.header is None or names != self.header.names:
            self.header = Header(line=b"", names=names, step_col=0, epoch_col=None)
        steps = np.asarray(scalars.steps, dtype=np.float64)
        values = np.asarray(scalars.values, dtype=np.float64)
        tag_of_row = np.asarray(scalars.tags, dtype=object)
        metrics = {}
        for tag in tags:
            rows = np.flatnonzero(tag_of_row == tag).astype(np.int32)
            metrics[tag] = (rows, values[rows])
        self._append(Chunk(len(values), steps, np.full(len(values), np.nan), metrics))
        self.wall_x.extend(np.asarray(scalars.walls, dtype=np.float64))

    def read_image(self, ref: str) -> bytes | None:
        """The encoded image an IMAGE_REF path names, re-read from its record (checksum verified); else None."""
        parts = ref.split("/")
        decoders = _decoders()
        if decoders is None or len(parts) != 4 or parts[0] != IMAGE_REF or not parts[1].startswith(EVENTS_PREFIX):
            return None
        if not (parts[2].isdigit() and parts[3].isdigit()):
            return None
        offset, index = int(parts[2]), int(parts[3])
        try:
            with open(os.path.join(self.run_dir, parts[1]), "rb") as handle:  # a bare name: it stays in the run dir
                handle.seek(offset)
                header = handle.read(HEADER_BYTES)
                if len(header) < HEADER_BYTES or _LENGTH.unpack_from(header)[0] > MAX_RECORD:
                    return None
                data = header + handle.read(_LENGTH.unpack_from(header)[0] + FOOTER_BYTES)
        except (OSError, ValueError):  # ValueError: a NUL byte in the name
            return None
        crc32c, event_class = decoders
        payload, _, _ = next_record(memoryview(data), 0, crc32c)
        if payload is None:
            return None
        values = event_class.FromString(payload).summary.value
        if index >= len(values) or values[index].WhichOneof("value") != "image":
            return None
        return values[index].image.encoded_image_string


def _event_files(run_dir: str) -> dict[str, int]:
    try:
        with os.scandir(run_dir) as entries:
            return {
                entry.name: entry.stat().st_size
                for entry in entries
                if entry.name.startswith(EVENTS_PREFIX) and entry.is_file()
            }
    except OSError:
        return {}


HPARAMS_WINDOW = 256 << 10  # Lightning writes the hparams summary among a file's first records


def read_hparams(path: str) -> dict:
    """The hparams plugin's session-start hparams near the start of an event file, keys joined with dots.

    For event files written without an hparams.yaml beside them; {} when
    there are none, or the extra is not installed.
    """
    decoders = _decoders()
    if decoders is None:
        return {}
    try:
        from tensorboardX.proto.plugin_hparams_pb2 import HParamsPluginData

        with open(path, "rb") as handle:
            data = handle.read(HPARAMS_WINDOW)
    except (ImportError, OSError):
        return {}
    crc32c, event_class = decoders
    view, offset = memoryview(data), 0
    while True:
        payload, offset, _ = next_record(view, offset, crc32c)
        if payload is None:
            return {}
        for value in event_class.FromString(payload).summary.value:
            plugin = value.metadata.plugin_data
            if plugin.plugin_name == "hparams":
                info = HParamsPluginData.FromString(plugin.content)
                if info.HasField("session_start_info"):
                    return {
                        key.replace("/", "."): _plain(item) for key, item in info.session_start_info.hparams.items()
                    }


def _plain(value):
    """A google.protobuf.Value as a Python scalar; whole numbers as ints (as hparams.yaml has them)."""
    kind = value.WhichOneof("kind")
    if kind == "number_value":
        number = value.number_value
        return int(number) if number.is_integer() and abs(number) < 2**53 else number
    if kind in ("string_value", "bool_value"):
        return getattr(value, kind)
    return None
