"""The persisted index: last known listings and run records, so a restart shows the table at once.

Three files, written together with one token:
- front: the number of runs, the table's stored views (SnapshotMemo.stored_entries) and the
  records of their first pages: a restart serves the table from this alone (scan/loading_runs.py);
- runs: every record, loaded next, by the scanner thread or the first request that needs one;
- listings: the folders' last readdir, so the first walk lists only what changed.

It lives in the user's cache directory, never in the runs tree (the viewer
never writes into a training job's files). It is only a cache: any failure
to read it means "start cold", never an error.
"""

from __future__ import annotations

import hashlib
import io
import logging
import os
import pickle
import time
from collections.abc import Callable, Iterator
from dataclasses import fields
from operator import attrgetter, itemgetter

from ..edits.overlay import EMPTY, Overlay
from ..files import write_atomically
from .file_sigs import RUN_FILE_FIELDS, SIG_BITS, RunFiles
from .records import RunRecord
from .sharing import SHARED_VALUES_MAX, shared_name, shared_value
from .sidecar import SidecarMeta
from .sidefiles import NO_SIDE_FILES, RunMeta, SideFiles
from .walker import Listing, shared_subdirs

log = logging.getLogger(__name__)

# Bump when the meaning of a field changes (2: classes moved into scan/ and edits/; 3: runs and
# listings in two files; 4: records pickled by their fields; 5: the front part; 6: file signatures
# as one int; 7: a header, then the chunks one after another); a change of shape (a class moved, fields added, removed, renamed) is caught by
# SHAPE below without anyone remembering to bump.
FORMAT_VERSION = 7
PICKLED_CLASSES = (RunRecord, SidecarMeta, SideFiles, RunMeta, Overlay, Listing)  # by their fields (below)
# and RunFiles, by its own __reduce__: the packed int of the files RUN_FILE_FIELDS names


def _shape() -> str:
    """A fingerprint of every class the index pickles: old files with another shape are ignored."""
    names = [
        f"{cls.__module__}.{cls.__qualname__}:{','.join(field.name for field in fields(cls))}"
        for cls in PICKLED_CLASSES
    ]
    names.append(f"{RunFiles.__module__}.{RunFiles.__qualname__}:{','.join(RUN_FILE_FIELDS)},{SIG_BITS}")
    return hashlib.sha256(";".join(names).encode()).hexdigest()[:16]


SHAPE = _shape()


def _by_fields(cls):
    """A reducer that pickles an instance as its class and its field values, in order.

    dataclasses pickle a frozen slotted class through a Python `__setstate__` that looks up its
    fields again for every object: 3 of the 4 s it took to load the runs of 100,000. Rebuilt by
    the constructor instead, a load takes a quarter of that. (SHAPE pins the fields' order.)
    """
    names = [field.name for field in fields(cls)]
    # attrgetter reads them all in C, a tuple at once: with a getattr per field in a generator, a
    # walk process's results took 22 µs per job folder to pickle, 14 this way (index saves too).
    values = attrgetter(*names)  # (each of PICKLED_CLASSES has several fields: a tuple)
    rebuild = _REBUILT_BY.get(cls, cls)
    shared = _SHARED.get(cls)
    if shared is not None:
        one, made_by = shared
        # An equal copy (a walk process's, an older load's) comes back as the one object, too.
        return lambda instance: (made_by, ()) if instance is one or instance == one else (rebuild, values(instance))
    return lambda instance: (rebuild, values(instance))


# What many records hold equal comes back as one object, whichever pickle it was in: the index's
# chunks, or a walk process's results (walk_processes.py), which would otherwise give each chunk of
# a restart's records its own copies of them (115 MB more at 100,000 runs).
def _no_overlay() -> Overlay:
    return EMPTY


def _no_side_files() -> SideFiles:
    return NO_SIDE_FILES


def _field_index(cls, name: str) -> int:
    return [field.name for field in fields(cls)].index(name)


_STATUS, _TAGS, _KIND = (
    _field_index(SidecarMeta, "status"),
    _field_index(SidecarMeta, "tags"),
    _field_index(RunRecord, "kind"),
)
_KEYED = _field_index(SidecarMeta, "hparams"), _field_index(SidecarMeta, "summary")


def _sidecar_meta(*values) -> SidecarMeta:
    shared = list(values)
    shared[_STATUS], shared[_TAGS] = shared_name(shared[_STATUS]), shared_value(shared[_TAGS])
    for index in _KEYED:  # hparam and metric names: a walk process's batch had its own copies of each
        shared[index] = _with_shared_keys(shared[index])
    return SidecarMeta(*shared)


_KEY_TUPLES: dict[tuple, tuple] = {}  # the names of a sweep's hparams (or metrics), all in one tuple


def _with_shared_keys(mapping: dict) -> dict:
    """The dict with the one string object for each key, whichever pickle it came from: a sweep's
    runs have the same keys, and share one tuple of them (names too long to intern included)."""
    keys = tuple(mapping)
    shared = _KEY_TUPLES.get(keys)
    if shared is None:
        shared = tuple(shared_name(key) for key in keys)
        if len(_KEY_TUPLES) < SHARED_VALUES_MAX:
            _KEY_TUPLES[shared] = shared
    return dict(zip(shared, mapping.values()))


def _run_record(*values) -> RunRecord:
    shared = list(values)
    shared[_KIND] = shared_name(shared[_KIND])
    return RunRecord(*shared)


_SUBDIRS, _RUN_FILES = _field_index(Listing, "subdirs"), _field_index(Listing, "run_files")


def _listing(*values) -> Listing:
    shared = list(values)
    shared[_SUBDIRS], shared[_RUN_FILES] = shared_subdirs(shared[_SUBDIRS]), shared_value(shared[_RUN_FILES])
    return Listing(*shared)


_SHARED: dict[type, tuple[object, Callable]] = {
    Overlay: (EMPTY, _no_overlay),
    SideFiles: (NO_SIDE_FILES, _no_side_files),
}
_REBUILT_BY: dict[type, Callable] = {SidecarMeta: _sidecar_meta, RunRecord: _run_record, Listing: _listing}
REDUCERS: dict[type, Callable] = {cls: _by_fields(cls) for cls in PICKLED_CLASSES}


# A part's file is a header (format, shape, root, token, the number of chunks; the front part's
# value) and then its entries in chunks of this many, one pickle after another: saved and loaded a
# chunk at a time, so neither holds the whole file in memory (116 MB at 100,000 runs, when the
# chunks were pickled into one list), and loading pauses between chunks. The C unpickler hardly
# ever lets go of the GIL: loading 100,000 runs in one piece made a 60 ms page render take 1.4 s
# while it ran (in the scanner thread, just after a restart, when the first requests come).
CHUNK_ENTRIES = 500
CHUNK_PAUSE_S = 0.0005


def _pieces(header: dict, mapping: dict) -> Iterator[bytes]:
    # By key: the runs of one sweep side by side, so a chunk's pickle holds their tags once for all
    # of them (a pickle shares equal objects only within itself): 9 MB less at 100,000 runs.
    items = sorted(mapping.items(), key=itemgetter(0))
    starts = range(0, len(items), CHUNK_ENTRIES)
    yield dumps({**header, "chunks": len(starts)})
    for start in starts:
        yield dumps(dict(items[start : start + CHUNK_ENTRIES]))


def _read_chunks(handle, count: int) -> dict:
    mapping: dict = {}
    for _ in range(count):
        mapping.update(pickle.load(handle))  # safe: see load()
        time.sleep(CHUNK_PAUSE_S)  # lets a waiting request thread take the GIL
    return mapping


def dumps(payload) -> bytes:
    """Pickled with records and listings by their fields (see _by_fields): the index's chunks, a walk process's results."""
    buffer = io.BytesIO()
    pickler = pickle.Pickler(buffer, protocol=pickle.HIGHEST_PROTOCOL)
    pickler.dispatch_table = REDUCERS  # this pickler only: the classes themselves are untouched
    pickler.dump(payload)
    return buffer.getvalue()


def index_path(root: str, cache_dir: str | None) -> str | None:
    """One file per runs root; None when persistence is turned off (cache_dir == "")."""
    if cache_dir == "":
        return None
    base = cache_dir or os.path.join(os.environ.get("XDG_CACHE_HOME") or os.path.expanduser("~/.cache"), "sptweb")
    digest = hashlib.sha256(root.encode("utf-8", "surrogateescape")).hexdigest()[:16]
    return os.path.join(base, f"index-{digest}.pickle")


PARTS = ("front", "runs", "listings")


def load(path: str | None, root: str, part: str = "runs", token: str | None = None):
    """The `part` (one of PARTS) saved for this root, or None; with `token`, only from the same save."""
    if path is None:
        return None
    try:
        with open(_part_path(path, part), "rb") as handle:
            # Safe to unpickle: the file sits in the user's own 0700 cache directory.
            header = pickle.load(handle)
            if header.get("format") != FORMAT_VERSION or header.get("shape") != SHAPE or header.get("root") != root:
                return None
            if token is not None and header.get("token") != token:
                return None  # another save's: a record the front's views count could be missing
            return header[part] if part == "front" else _read_chunks(handle, header["chunks"])
    except FileNotFoundError:
        return None
    except Exception as exc:  # a corrupt or foreign cache is simply ignored
        log.warning("ignoring persisted index %s: %s", path, exc)
        return None


def front_part(runs: dict, memo_entries: dict, roots: list[str], leading_rows: int) -> dict:
    """What a restart serves before the runs load: their number, the stored views, and the records of
    each view's first `leading_rows` rows either way; `roots`: those that held runs (see vanished)."""
    leading = {run_id for entry, _ in memo_entries.values() for run_id in entry.leading_ids(leading_rows)}
    return {
        "count": len(runs),
        "records": {run_id: runs[run_id] for run_id in leading if run_id in runs},
        "memo": memo_entries,
        "roots": roots,
        "token": os.urandom(8).hex(),
    }


def save(path: str | None, root: str, listings: dict, runs: dict, front: dict) -> None:
    """Atomically replace the parts, the front last; failures are logged, never raised.

    The runs must be the ones the front was made from: its token ties them. Listings need not
    match: a listing is used only while its folder's mtime is unchanged.
    """
    if path is None:
        return
    try:
        os.makedirs(os.path.dirname(path), mode=0o700, exist_ok=True)
        header = {"format": FORMAT_VERSION, "shape": SHAPE, "root": root, "token": front["token"]}
        write_atomically(_part_path(path, "runs"), _pieces(header, runs))
        write_atomically(_part_path(path, "listings"), _pieces(header, listings))
        write_atomically(_part_path(path, "front"), _pieces({**header, "front": front}, {}))
    except OSError as exc:
        log.warning("could not save the index to %s: %s", path, exc)


def _part_path(path: str, part: str) -> str:
    return path if part == "runs" else path.removesuffix(".pickle") + f".{part}.pickle"
