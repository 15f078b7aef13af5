"""One run, one poll: stat its files, re-read what changed, build its record.

A finished run in an unchanged directory costs no
syscall at all; otherwise five `stat`s, and a sidecar or overlay is read only
when its (inode, mtime, size) changed.
"""

from __future__ import annotations

import os
from dataclasses import replace

from ..edits import EMPTY, OVERLAY_FILE, OverlayError, OverlayStore
from .records import FINISHED_STATUSES, FileSig, RunFiles, RunRecord, build_search_text, is_stale
from .sidecar import SidecarError, SidecarMeta, parse_sidecar
from .walker import SIDECAR, Visit

# A sidecar that failed to parse and was written this recently is probably
# mid-write: read it again next poll even if its stat has not changed.
RECENT_WRITE_S = 10.0


def check_run(
    run_id: str,
    seen: Visit,
    previous: RunRecord | None,
    full_sweep: bool,
    now: float,
    stale_after: float,
    overlays: OverlayStore,
) -> RunRecord | None:
    """The run's record for this poll: `previous` itself when nothing changed, None when it is gone."""
    if previous is not None and _settled(previous, seen, full_sweep):
        return previous  # a finished run in an unchanged directory: no more syscalls
    files = _stat_run_files(seen.path)
    if files.sidecar is None:
        return None  # deleted between listing and now
    meta, error = (previous.meta, previous.error) if previous else (SidecarMeta(), None)
    if previous is None or files.sidecar != previous.files.sidecar or _retry_read(previous, files, now):
        meta, error = _read_sidecar(seen.path, meta)
    overlay, overlay_error = (previous.overlay, previous.overlay_error) if previous else (EMPTY, None)
    if previous is None or files.overlay != previous.files.overlay:
        overlay, overlay_error = _read_overlay(overlays, seen.path) if files.overlay else (EMPTY, None)
    if previous is not None and previous.meta is meta and previous.overlay is overlay:
        search_text = previous.search_text
    else:
        search_text = build_search_text(run_id, meta, overlay)
    record = RunRecord(
        run_id=run_id,
        path=seen.path,
        meta=meta,
        files=files,
        error=error,
        stale=is_stale(meta.status, files.heartbeat_mtime, now, stale_after),
        overlay=overlay,
        overlay_error=overlay_error,
        search_text=search_text,
    )
    return previous if record == previous else record


def same_for_table(new: RunRecord, old: RunRecord) -> bool:
    """Only the files' stats differ: a metrics append or a heartbeat, not a visible change."""
    return (new.meta, new.error, new.stale, new.overlay) == (old.meta, old.error, old.stale, old.overlay)


def files_grew(new: RunRecord, old: RunRecord) -> bool:
    """Metrics, media or heartbeat changed: open charts, media tabs and liveness need a look."""
    return (new.files.metrics, new.files.media, new.files.heartbeat) != (
        old.files.metrics,
        old.files.media,
        old.files.heartbeat,
    )


def summary_churn(new: RunRecord, old: RunRecord) -> bool:
    """A training run's writer rewrote its sidecar with only new summary values and `updated_at`.

    spt's RegistryLogger does this on every metrics flush (Lightning calls
    `save()` after each `log_metrics`): worth showing, not worth a table
    refresh on every poll.
    """
    if not (new.is_running and old.is_running) or (new.error, new.stale, new.overlay) != (
        old.error,
        old.stale,
        old.overlay,
    ):
        return False
    return replace(new.meta, summary=old.meta.summary, updated_at=old.meta.updated_at) == old.meta


def _read_overlay(overlays: OverlayStore, path: str):
    try:
        return overlays.read(path), None
    except OverlayError as exc:
        return EMPTY, f"{exc}; edits are disabled until {OVERLAY_FILE} is fixed or removed"


def _settled(previous: RunRecord, seen: Visit, full_sweep: bool) -> bool:
    """Can this poll trust the previous record without stat-ing the run's files?"""
    return not seen.relisted and not full_sweep and previous.error is None and previous.meta.status in FINISHED_STATUSES


def _stat_run_files(path: str) -> RunFiles:
    return RunFiles(
        sidecar=_sig(os.path.join(path, SIDECAR)),
        metrics=_sig(os.path.join(path, "metrics.csv")),
        media=_sig(os.path.join(path, "media.jsonl")),
        heartbeat=_sig(os.path.join(path, "heartbeat")),
        overlay=_sig(os.path.join(path, OVERLAY_FILE)),
    )


def _sig(path: str) -> FileSig:
    try:
        st = os.stat(path)
    except OSError:
        return None
    return (st.st_ino, st.st_mtime_ns, st.st_size)


def _retry_read(previous: RunRecord, files: RunFiles, now: float) -> bool:
    """Re-read a broken sidecar while it looks mid-write, even if its stat is unchanged."""
    return previous.error is not None and files.sidecar is not None and now - files.sidecar[1] / 1e9 < RECENT_WRITE_S


def _read_sidecar(path: str, last_good: SidecarMeta) -> tuple[SidecarMeta, str | None]:
    """The new metadata, or the last good one plus the reason the new bytes failed."""
    try:
        with open(os.path.join(path, SIDECAR), "rb") as handle:
            return parse_sidecar(handle.read()), None
    except SidecarError as exc:
        return last_good, str(exc)
    except OSError as exc:
        return last_good, f"sidecar unreadable: {exc.strerror or exc}"
