"""Directory listings cached by directory mtime, for NFS-friendly discovery.

On NFS a `stat` is one cheap round trip while a `readdir` of a busy folder is
many; a directory's mtime changes exactly when an entry is added, removed or
renamed in it, so an unchanged mtime means the cached listing still holds.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from typing import NamedTuple

from .frozen import frozen_record
from .sharing import shared_value

SIDECAR = "sidecar.json"
# The names a run's probe stats (scan/probe.py). The listing notes which exist,
# so a probe never stats a file that is not there: creating, deleting or
# renaming one changes the directory's mtime, which relists it.
RUN_FILE_NAMES = frozenset(
    {
        SIDECAR,
        "metrics.csv",
        "media.jsonl",
        "heartbeat",
        "sptweb-overlay.json",
        "summary.json",
        "run_meta.json",
        "checkpoints",
        "hparams.yaml",
    }
)
METRICS_CSV = "metrics.csv"
EVENTS_PREFIX = "events.out.tfevents."  # TensorBoard event files: events.out.tfevents.<time>.<host>[.<suffix>]
# Inside a run directory these never hold runs and can hold many thousands of
# entries (one file per logged image, one per checkpoint).
SKIPPED_IN_RUN_DIRS = frozenset({"checkpoints", "media"})


@frozen_record
class Listing:
    """What one readdir of a directory found."""

    mtime_ns: int
    subdirs: tuple[str, ...]  # names of real (not symlinked) child directories to descend into
    has_sidecar: bool
    run_files: frozenset[str] = frozenset()  # which RUN_FILE_NAMES a run directory holds
    event_files: tuple[str, ...] = ()  # TensorBoard event files, sorted (the last one is the newest)
    # The folder's path: the very string the cache is keyed by, so a walk, its subtrees and the runs it
    # finds share it instead of each holding a copy made by joining names (20 MB at 100,000 runs).
    path: str = ""

    def at(self, path: str) -> Listing:
        """This listing, keyed by another (equal) path string. (Not dataclasses.replace: 3.1 µs
        against 0.6, and a restart re-keys the listing of each of 100,000 run folders.)"""
        return Listing(self.mtime_ns, self.subdirs, self.has_sidecar, self.run_files, self.event_files, path)

    @property
    def run_kind(self) -> str | None:
        """What makes this directory a run: a sidecar (spt), a metrics.csv or event files (Lightning); else None."""
        if self.has_sidecar:
            return "spt"
        if METRICS_CSV in self.run_files:
            return "csv"
        return "tensorboard" if self.event_files else None


class Visit(NamedTuple):
    """One directory as seen by this poll. (A named tuple: one is made per folder per walk, and a
    frozen dataclass took three times as long to make.)"""

    path: str  # the cache's own string for it (see Listing.path)
    listing: Listing
    relisted: bool  # False when the cached listing was reused


class ListingCache:
    """readdir results keyed by absolute path, reused while the directory mtime is unchanged."""

    def __init__(self) -> None:
        self._listings: dict[str, Listing] = {}

    def visit(self, path: str) -> Visit | None:
        """Stat `path`, list it only if it changed; None when it is gone or unreadable."""
        cached = self._listings.get(path)
        if cached is None:  # never listed: open it once, its mtime from the open folder (no separate lookup)
            listing = _list_new(path)
        else:
            try:
                mtime_ns = os.stat(path).st_mtime_ns
            except OSError:
                listing = None
            else:
                if cached.mtime_ns == mtime_ns:
                    return Visit(cached.path or path, cached, relisted=False)
                listing = _read_listing(path, mtime_ns, cached.path or path)
        if listing is None:
            self._listings.pop(path, None)
            return None
        self._listings[path] = listing  # (an existing key keeps its string: listing.path is that one)
        return Visit(listing.path, listing, relisted=True)

    def adopt(self, listing: Listing) -> None:
        """A listing another process made of `listing.path` (walk_processes.py)."""
        self._listings[listing.path] = listing

    def forget(self, paths) -> None:
        """Drop the listings of folders that are gone."""
        for path in paths:
            self._listings.pop(path, None)

    def forget_missing(self, seen: set[str]) -> None:
        """Drop listings of directories this walk did not reach (removed or moved away)."""
        for path in self._listings.keys() - seen:
            del self._listings[path]

    def __len__(self) -> int:
        return len(self._listings)

    def mtime_s(self, path: str) -> float:
        """When the folder's entries last changed, as last listed (infinitely recent if never listed)."""
        listing = self._listings.get(path)
        return listing.mtime_ns / 1e9 if listing is not None else float("inf")

    def export(self) -> dict[str, Listing]:
        return dict(self._listings)

    def load(self, listings: dict[str, Listing], paths: Iterable[str] = ()) -> None:
        """Listings saved by an earlier process. `paths`: strings held elsewhere (the runs' paths, loaded
        from another file) that the listings of those folders should share instead of their own copy."""
        self._listings = dict(listings)
        for path in paths:
            listing = self._listings.pop(path, None)
            if listing is not None:  # re-keyed by `path` itself (a dict keeps an equal key's old string)
                self._listings[path] = listing.at(path)


def _list_new(path: str) -> Listing | None:
    """List a folder seen for the first time through one open: on NFS a stat by path, then an opendir,
    cost a lookup more per folder (two per run of a sweep) than an opendir whose handle gives the mtime.
    The mtime is taken before the entries are read: a change while reading lists the folder again."""
    try:
        descriptor = os.open(path, os.O_RDONLY | os.O_DIRECTORY | os.O_NONBLOCK)
    except OSError:
        return None
    try:
        mtime_ns = os.fstat(descriptor).st_mtime_ns
        return _read_listing(descriptor, mtime_ns, path)
    finally:
        os.close(descriptor)


def _read_listing(source: str | int, mtime_ns: int, path: str) -> Listing:
    """The listing of the folder at `path`, read from `source` (the path, or the folder open)."""
    subdirs: list[str] = []
    run_files: set[str] = set()
    event_files: list[str] = []
    try:
        with os.scandir(source) as entries:
            for count, entry in enumerate(entries, 1):
                name = entry.name
                if count % ASK_ATTRIBUTES_EVERY == 0:
                    _ask_for_attributes(entry)
                if name in RUN_FILE_NAMES:
                    run_files.add(name)
                elif name.startswith(EVENTS_PREFIX):
                    event_files.append(name)
                if name != SIDECAR and not name.startswith(".") and _is_real_dir(entry):
                    subdirs.append(name)
    except OSError:
        pass  # vanished or unreadable between stat and readdir: treat as empty
    has_sidecar = SIDECAR in run_files
    if not (has_sidecar or METRICS_CSV in run_files or event_files):
        return Listing(mtime_ns, _shared_names(subdirs), False, path=path)
    subdirs = [name for name in subdirs if name not in SKIPPED_IN_RUN_DIRS]
    event_names = tuple(sorted(event_files))
    return Listing(mtime_ns, _shared_names(subdirs), has_sidecar, _shared_set(run_files), event_names, path)


# A big folder (a project's thousands of job folders) is read in several replies. Linux (its NFS
# client, and FUSE) asks for the entries' attributes (READDIRPLUS) only in the first one, unless
# an entry was looked up meanwhile, and Python reads the whole listing before it looks at any
# entry; without attributes, each folder's stat right after the listing (to walk the newest
# first) cost a LOOKUP: 0.73 per run over nfslab. One stat every so many entries keeps every
# reply a READDIRPLUS; locally it is one `fstatat` per 128 entries.
ASK_ATTRIBUTES_EVERY = 128


def _ask_for_attributes(entry: os.DirEntry) -> None:
    try:
        entry.stat(follow_symlinks=False)
    except OSError:
        pass  # gone meanwhile: the listing still holds what the folder had


SHARED_NAMES_MAX = 4  # only small listings repeat (sharing.py); a project folder's 10,000 names do not


def _shared_names(names: list[str]) -> tuple[str, ...]:
    return shared_subdirs(tuple(sorted(names)))


def shared_subdirs(ordered: tuple[str, ...]) -> tuple[str, ...]:
    """A listing's subfolder names, as the one shared tuple when they are few (see sharing.py)."""
    return shared_value(ordered) if len(ordered) <= SHARED_NAMES_MAX else ordered


def _shared_set(names: set[str]) -> frozenset[str]:
    return shared_value(frozenset(names))


def _is_real_dir(entry: os.DirEntry) -> bool:
    """A directory that is not a symlink: following links could loop forever."""
    try:
        return entry.is_dir(follow_symlinks=False)
    except OSError:
        return False
