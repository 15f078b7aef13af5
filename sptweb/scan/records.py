"""One run as the viewer sees it: an immutable record built by the scanner."""

from __future__ import annotations

import time
from collections.abc import Callable
from functools import lru_cache
from typing import Any

from ..edits.overlay import EMPTY, Overlay
from .file_sigs import RunFiles
from .frozen import frozen_record
from .sidecar import SidecarMeta
from .sidefiles import NO_SIDE_FILES, SideFiles

RUNNING = "running"
# spt writes `finished` from Lightning's SLURM requeue handler: the job goes
# back to the queue and training resumes in the same run dir. Not an end
# unless SLURM says the job is gone.
REQUEUE_STATUS = "finished"
FINISHED_STATUSES = frozenset({"completed", "failed"})
JOB_GONE = "GONE"  # scan/slurm.py: the job left SLURM's queue
# Statuses the table offers as filters, in display order; any other string a
# writer invents still shows and filters, grouped under "other".
KNOWN_STATUSES = ("running", "stale", "lost", "completed", "failed")

# A training run with no sign of life for this long is shown as "quiet" (a
# long validation pass, a checkpoint save) before it is ever called stale.
QUIET_AFTER_S = 60.0
SWEEP_TAG_PREFIX = "sweep:"  # `sweep:<slurm array job id>` marks the runs of one sweep


@frozen_record
class RunRecord:
    """A run's identity, its last good metadata, and what is wrong with it now."""

    run_id: str  # path relative to the runs root: the viewer's key
    path: str  # absolute directory on this machine
    meta: SidecarMeta  # last sidecar that parsed; defaults if none ever did
    files: RunFiles
    error: str | None = None  # why the current sidecar is unusable, shown in the UI
    stale: bool = False
    overlay: Overlay = EMPTY  # the user's edits, merged over the sidecar below
    overlay_error: str | None = None
    search_text: str = ""  # lower-cased id, name, tags, notes, hparams, summary
    side: SideFiles = NO_SIDE_FILES  # run_meta.json and summary.json, when the writer leaves them
    job_state: str | None = None  # SLURM's word on the job (RUNNING, PENDING, …, GONE); None: not asked
    job_logs: tuple[str, ...] = ()  # the job's StdOut/StdErr as scontrol named them, kept after it ends
    kind: str = "spt"  # spt (a sidecar) | csv (Lightning CSVLogger) | tensorboard (event files only)

    @property
    def display_name(self) -> str | None:
        return self.overlay.display_name or self.meta.display_name

    @property
    def name(self) -> str:
        """The display name; else spt's short run id when the run dir is named by it; else the run id."""
        if self.display_name:
            return self.display_name
        if self.kind != "spt":  # Lightning's <name>/version_N
            return "/".join(self.run_id.rsplit("/", 2)[-2:])
        short_id = self.meta.writer_run_id or self.side.run_meta.writer_run_id
        return short_id if short_id and self.run_id.rsplit("/", 1)[-1] == short_id != self.run_id else self.run_id

    @property
    def named_by_short_id(self) -> bool:
        """The name is spt's 12-hex id, which says nothing of when: pages show the date beside it."""
        return self.kind == "spt" and self.name != self.run_id and not self.display_name

    @property
    def last_activity(self) -> float | None:
        return last_activity(self.files, self.meta)

    def quiet_for(self, now: float) -> float | None:
        """Seconds since a training run last showed life, once that is over QUIET_AFTER_S; else None."""
        if not self.is_running or self.stale or self.last_activity is None:
            return None
        quiet = now - self.last_activity
        return quiet if quiet > QUIET_AFTER_S else None

    @property
    def notes(self) -> str:
        return self.overlay.notes if self.overlay.notes is not None else self.meta.notes

    @property
    def archived(self) -> bool:
        return self.overlay.archived

    @property
    def is_running(self) -> bool:
        """The writer says it is training; a stale run counts too, as it may write again."""
        return self.meta.status == RUNNING

    @property
    def sweep_id(self) -> str | None:
        """The id in the run's first `sweep:<id>` tag, if any."""
        return next((tag[len(SWEEP_TAG_PREFIX) :] for tag in self.tags if tag.startswith(SWEEP_TAG_PREFIX)), None)

    @property
    def status(self) -> str:
        """The status to show and filter on: the writer's, corrected by SLURM and by liveness.

        `running` with its job gone from the queue is `lost`; `finished` (a
        requeue) is `requeued` while the job waits and `running` once it runs
        again; `running` with no sign of life for too long is `stale`.
        """
        status = self.meta.status
        if status == RUNNING and self.job_state == JOB_GONE:
            return "lost"
        if status == REQUEUE_STATUS and self.job_state not in (None, JOB_GONE):
            return "running" if self.job_state == "RUNNING" else "requeued"
        return "stale" if self.stale else status

    @property
    def status_group(self) -> str:
        status = self.status
        return status if status in KNOWN_STATUSES else "other"

    @property
    def created_at(self) -> float | None:
        return self.meta.created_at

    @property
    def ended_at(self) -> float | None:
        return self.meta.ended_at

    @property
    def tags(self) -> tuple[str, ...]:
        return self.overlay.merged_tags(self.meta.tags)

    def duration(self, now: float | None = None) -> float | None:
        """Seconds from creation to the end, to now while running, else to the last update."""
        start = self.meta.created_at
        if start is None:
            return None
        end = self.meta.ended_at
        if end is None:
            live = self.is_running and not self.stale
            end = (now or time.time()) if live else (self.files.heartbeat_mtime or self.meta.updated_at)
        return None if end is None else max(0.0, end - start)


def last_activity(files: RunFiles, meta: SidecarMeta) -> float | None:
    """The newest sign of life: any file the job writes, or the sidecar's own `updated_at`."""
    # (Comparisons, not max() over a generator: this runs once per run per walk.)
    newest, updated = files.newest_write, meta.updated_at
    if newest is None or updated is None:
        return updated if newest is None else newest
    return newest if newest > updated else updated


def written_within(files: RunFiles, seconds: float, now: float) -> bool:
    """Did the job write a file in the last `seconds`? (A run without a readable sidecar looks live then.)"""
    return files.newest_write is not None and now - files.newest_write <= seconds


def printable(text: str) -> str:
    """Text a page or JSON can carry: bytes of a file name that were not UTF-8 become `\\xff` escapes."""
    return text.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")


def printable_id(text: str) -> str:
    """A run id from a path: printable, and one line (a newline would not survive a URL route)."""
    if text.isprintable():  # nearly every id: no control character, no undecodable byte
        return text
    return "".join(f"\\x{ord(char):02x}" if ord(char) < 32 or ord(char) == 127 else char for char in printable(text))


def is_stale(status: str, last_activity: float | None, now: float, stale_after: float) -> bool:
    """docs/format.md: running, with no sign of life for `stale_after` seconds; no sign at all is not stale."""
    return status == RUNNING and last_activity is not None and now - last_activity > stale_after


def build_search_text(run_id: str, meta: SidecarMeta, overlay: Overlay = EMPTY) -> str:
    """Everything `q` searches, joined once per record so a search is one `in` per run."""
    notes = overlay.notes if overlay.notes is not None else meta.notes
    parts = [run_id, overlay.display_name or meta.display_name or "", meta.writer_run_id or "", notes, meta.status]
    parts.extend(overlay.merged_tags(meta.tags))
    parts.extend(f"{key}={value}" for key, value in meta.hparams.items())
    parts.extend(f"{key}={value}" for key, value in meta.summary.items())
    return "\n".join(parts).lower()


def column_value(run: RunRecord, column: str, now: float | None = None):
    """The value a table column shows, sorts and filters by; None when the run has none.

    `hp.<key>` and `sum.<key>` name hparams and summary values; a bare key is
    looked up in hparams, then summary.
    """
    return column_reader(column)(run, now)


ColumnReader = Callable[[RunRecord, "float | None"], Any]


@lru_cache(maxsize=1024)
def column_reader(column: str) -> ColumnReader:
    """column_value for one column, the column's name read once: a sorted view reads 100,000 runs.
    Cached: a table filter or a page reads a column per run or per cell through column_value."""
    if column.startswith("hp."):
        name = column[3:]
        return lambda run, now: run.meta.hparams.get(name)
    if column.startswith("sum."):
        name = column[4:]
        return lambda run, now: run.meta.summary[name] if name in run.meta.summary else run.side.stats.get(name)
    builtin = _BUILTIN_COLUMNS.get(column)
    if builtin is not None:
        return builtin
    return lambda run, now: run.meta.hparams.get(column, run.meta.summary.get(column))


_BUILTIN_COLUMNS = {
    "name": lambda run, now: run.name.lower(),
    "id": lambda run, now: run.run_id,
    "status": lambda run, now: run.status,
    "created": lambda run, now: run.created_at,
    "ended": lambda run, now: run.ended_at,
    "duration": lambda run, now: run.duration(now),
    "tags": lambda run, now: " ".join(run.tags),
    "notes": lambda run, now: run.notes,
    "kind": lambda run, now: run.kind,
    "root": lambda run, now: run.run_id.split("/", 1)[0],  # with several roots: the root's label
}
