"""One run, one poll: stat its files, re-read what changed, build its record.

A finished run in an unchanged directory costs no syscall at all; otherwise
eight `stat`s, and a sidecar, overlay or side file is read only when its
(inode, mtime, size) changed. A sidecar this user may not read (spt writes it
0600) still gives a run: hparams from hparams.yaml, liveness from file times.
"""

from __future__ import annotations

import os
import pwd
from dataclasses import replace

from ..edits import EMPTY, OVERLAY_FILE, OverlayError, OverlayStore
from ..metrics.tfevents import read_hparams
from .file_sigs import RunFiles, sig_time
from .folder import RunFolder
from .records import FINISHED_STATUSES, RunRecord, build_search_text, is_stale, last_activity, written_within
from .sidecar import SidecarError, SidecarMeta, parse_sidecar
from .sidefiles import (
    NO_RUN_META,
    NO_SIDE_FILES,
    SideFiles,
    parse_hparams_yaml,
    parse_run_meta,
    parse_summary_stats,
)
from .walker import SIDECAR, Listing, Visit

# A Lightning run has no writer to say it ended: it is "finished" once quiet for
# stale_after, and trusted without stat-ing once quiet for SETTLE_AFTER_S.
INFERRED_END = "finished"
INFERRED_NOTE = "no sidecar: status inferred from file times (running while it writes)"
SETTLE_AFTER_S = 3600.0

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
    if previous is not None and _settled(previous, seen, full_sweep, now):
        return previous  # a finished run in an unchanged directory: no more syscalls
    with RunFolder(seen.path) as folder:
        return _probe(run_id, seen, folder, previous, now, stale_after, overlays)


def _probe(
    run_id: str,
    seen: Visit,
    folder: RunFolder,
    previous: RunRecord | None,
    now: float,
    stale_after: float,
    overlays: OverlayStore,
) -> RunRecord | None:
    """check_run's work once the run needs a look: stat its files, re-read what changed."""
    kind = seen.listing.run_kind or "spt"
    files = _stat_run_files(folder, seen.listing)
    if kind == "spt":
        if files.sidecar is None:
            return None  # deleted between listing and now
        meta, error = (previous.meta, previous.error) if previous else (SidecarMeta(), None)
        if previous is None or files.sidecar != previous.files.sidecar or _retry_read(previous, files, now):
            meta, error = _read_sidecar(folder, meta, files, now, stale_after)
    else:
        if files.metrics is None and files.events is None:
            return None  # deleted between listing and now
        first_events = seen.listing.event_files[0] if seen.listing.event_files else None
        meta, error = _lightning_meta(folder, files, previous, now, stale_after, first_events), None
    side = previous.side if previous else NO_SIDE_FILES
    if previous is None or (files.run_meta, files.summary) != (previous.files.run_meta, previous.files.summary):
        side = _read_side_files(folder, files)
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
        stale=is_stale(meta.status, last_activity(files, meta), now, stale_after),
        overlay=overlay,
        overlay_error=overlay_error,
        search_text=search_text,
        side=side,
        job_state=previous.job_state if previous else None,  # scanner.py asks SLURM after the walk
        job_logs=previous.job_logs if previous else (),
        kind=kind,
    )
    return previous if record == previous else record


def broken_run(run_id: str, path: str, exc: Exception, previous: RunRecord | None) -> RunRecord:
    """The record of a run whose files made the probe fail: its last good metadata (if any) and why."""
    reason = f"sptweb could not read this run ({type(exc).__name__}): {str(exc)[:200]}"
    if previous is not None:
        return replace(previous, error=reason)
    return RunRecord(
        run_id=run_id, path=path, meta=SidecarMeta(), files=RunFiles(), error=reason, search_text=run_id.lower()
    )


def same_for_table(new: RunRecord, old: RunRecord) -> bool:
    """Only the files' stats differ: a metrics append or a heartbeat, not a visible change."""
    return (new.meta, new.error, new.stale, new.overlay, new.job_state, new.job_logs) == (
        old.meta,
        old.error,
        old.stale,
        old.overlay,
        old.job_state,
        old.job_logs,
    )


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
    if not (new.is_running and old.is_running):
        return False
    without_churn = replace(new.meta, summary=old.meta.summary, updated_at=old.meta.updated_at)
    return same_for_table(replace(new, meta=without_churn), old)


def _read_overlay(overlays: OverlayStore, path: str):
    try:
        return overlays.read(path), None
    except OverlayError as exc:
        return EMPTY, f"{exc}; edits are disabled until {OVERLAY_FILE} is fixed or removed"


def _settled(previous: RunRecord, seen: Visit, full_sweep: bool, now: float) -> bool:
    """Can this poll trust the previous record without stat-ing the run's files?"""
    if seen.relisted or full_sweep or previous.error is not None:
        return False
    if previous.kind == "spt":
        return previous.meta.status in FINISHED_STATUSES
    # A Lightning run's end is only inferred: trust it once it has been quiet for long.
    quiet_since = previous.last_activity
    return previous.meta.status == INFERRED_END and quiet_since is not None and now - quiet_since > SETTLE_AFTER_S


def _stat_run_files(folder: RunFolder, listing: Listing) -> RunFiles:
    """Stat the run's files that its listing holds; the others are absent without asking."""
    sigs = {name: folder.sig(name) for name in listing.run_files}
    return RunFiles(
        sidecar=sigs.get(SIDECAR),
        metrics=sigs.get("metrics.csv"),
        media=sigs.get("media.jsonl"),
        heartbeat=sigs.get("heartbeat"),
        overlay=sigs.get(OVERLAY_FILE),
        summary=sigs.get("summary.json"),
        run_meta=sigs.get("run_meta.json"),
        checkpoints=sigs.get("checkpoints"),
        hparams=sigs.get("hparams.yaml"),
        events=folder.sig(listing.event_files[-1]) if listing.event_files else None,
    )


def _lightning_meta(
    folder: RunFolder,
    files: RunFiles,
    previous: RunRecord | None,
    now: float,
    stale_after: float,
    first_events: str | None,
) -> SidecarMeta:
    """A run without a sidecar (Lightning's CSVLogger or TensorBoard): what its files tell.

    hparams from hparams.yaml (re-read when it changes), created at its
    earliest file time, running while it writes, else finished (inferred),
    the newest checkpoint under checkpoints/.
    """
    last, last_files = (previous.meta, previous.files) if previous is not None else (None, RunFiles())
    if last is None or files.hparams != last_files.hparams:
        hparams = parse_hparams_yaml(_read_or_empty(folder, "hparams.yaml")) if files.hparams else {}
    else:
        hparams = last.hparams
    if not hparams and not files.hparams and first_events and (last is None or files.events != last_files.events):
        hparams = read_hparams(os.path.join(folder.path, first_events))  # TensorBoard's hparams plugin, no hparams.yaml
    if last is None or files.checkpoints != last_files.checkpoints:
        checkpoint = _newest_checkpoint(folder.path) if files.checkpoints else None
    else:
        checkpoint = last.checkpoint_path
    newest = files.newest_write
    running = written_within(files, stale_after, now)
    first = min((sig_time(sig) for sig in (files.hparams, files.metrics, files.events) if sig), default=None)
    created = min(first, last.created_at) if last is not None and last.created_at and first else first
    return SidecarMeta(
        status="running" if running else INFERRED_END,
        created_at=created,
        ended_at=None if running else newest,
        updated_at=newest,
        hparams=hparams,
        checkpoint_path=checkpoint,
        warnings=(INFERRED_NOTE,),
    )


def _newest_checkpoint(path: str) -> str | None:
    try:
        with os.scandir(os.path.join(path, "checkpoints")) as entries:
            checkpoints = [(entry.stat().st_mtime, entry.path) for entry in entries if entry.name.endswith(".ckpt")]
    except OSError:
        return None
    return max(checkpoints)[1] if checkpoints else None


def _read_side_files(folder: RunFolder, files: RunFiles) -> SideFiles:
    run_meta = parse_run_meta(_read_or_empty(folder, "run_meta.json")) if files.run_meta else NO_RUN_META
    stats = parse_summary_stats(_read_or_empty(folder, "summary.json")) if files.summary else {}
    if run_meta == NO_RUN_META and not stats:  # no side files, or none that says anything: share the empty one
        return NO_SIDE_FILES
    return SideFiles(run_meta, stats)


def _read_or_empty(folder: RunFolder, name: str) -> bytes:
    try:
        return folder.read(name)
    except (OSError, ValueError):
        return b""  # unreadable (0600 of another user), vanished, or not ours: as if absent


def _retry_read(previous: RunRecord, files: RunFiles, now: float) -> bool:
    """Re-read a broken sidecar while it looks mid-write, even if its stat is unchanged."""
    return previous.error is not None and files.sidecar is not None and now - sig_time(files.sidecar) < RECENT_WRITE_S


def _read_sidecar(
    folder: RunFolder, last_good: SidecarMeta, files: RunFiles, now: float, stale_after: float
) -> tuple[SidecarMeta, str | None]:
    """The new metadata, or the last good one (or what else is readable) plus the reason the new bytes failed."""
    try:
        return parse_sidecar(folder.read(SIDECAR), folder.path), None
    except SidecarError as exc:
        return last_good, str(exc)
    except PermissionError:
        readable = last_good if last_good != SidecarMeta() else _readable_meta(folder, files, now, stale_after)
        return readable, _permission_advice(os.path.join(folder.path, SIDECAR))
    except (OSError, ValueError) as exc:
        return last_good, f"sidecar unreadable: {getattr(exc, 'strerror', None) or exc}"


def _readable_meta(folder: RunFolder, files: RunFiles, now: float, stale_after: float) -> SidecarMeta:
    """Without the sidecar: hparams from hparams.yaml, the writer's id, and a status read off file times."""
    run_meta = parse_run_meta(_read_or_empty(folder, "run_meta.json"))
    live = written_within(files, stale_after, now)
    created = min((sig_time(sig) for sig in (files.run_meta, files.metrics, files.sidecar) if sig), default=None)
    return SidecarMeta(
        status="running" if live else "unknown",
        writer_run_id=run_meta.writer_run_id,
        created_at=created,
        hparams=parse_hparams_yaml(_read_or_empty(folder, "hparams.yaml")),
        warnings=("status inferred from file times: the sidecar is not readable",),
    )


def _permission_advice(sidecar: str) -> str:
    """Why the run shows so little, and the two ways to fix it."""
    try:
        info = os.stat(sidecar)
        owner = _user_name(info.st_uid)
        mode = f"mode {info.st_mode & 0o777:o}, owner {owner}"
    except OSError:
        owner, mode = "its owner", "no access"
    return (
        f"sidecar.json is not readable by {_user_name(os.geteuid())} ({mode}): status, tags and summary are missing. "
        f"Run sptweb as {owner}, or ask them to `chmod g+r sidecar.json summary.json` in the run directory "
        "(stable-pretraining writes both with mode 0600)."
    )


def _user_name(uid: int) -> str:
    try:
        return pwd.getpwuid(uid).pw_name
    except KeyError:
        return f"uid {uid}"
