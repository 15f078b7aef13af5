"""API: runs and scan progress."""

from __future__ import annotations

import time

from flask import abort, request

from ...query import table
from ...scan import RunRecord
from .. import args
from ..current import get_scanner, settings
from ..responses import json_response
from . import bp

MAX_PER_PAGE = 1000  # one response stays small enough to parse in a browser


@bp.get("/runs")
def runs():
    """Runs matching the table's query args, one page (`page`, `per_page`) at a time."""
    query = table.TableQuery.from_args(request.args)
    per_page = args.integer("per_page", settings().page_size, 1, MAX_PER_PAGE)
    args.integer("page", 1, 1, 10**9)  # validated here; TableQuery already holds it
    now = time.time()
    page = table.select(get_scanner().snapshot, query, per_page, now)
    if page.filter_error:
        abort(400, description=page.filter_error)
    return json_response(
        {
            "runs": [run_json(run, now) for run in page.rows],
            "total": page.total,
            "page": page.page,
            "pages": page.pages,
            "per_page": per_page,
            "status_counts": page.status_counts,
        }
    )


@bp.get("/scan")
def scan():
    """Progress of discovery: phase, directories walked, runs found."""
    scanner = get_scanner()
    snapshot = scanner.snapshot
    return json_response(
        {
            "phase": snapshot.phase,
            "total": snapshot.dirs_total,
            "done": snapshot.dirs_done,
            "runs": len(snapshot.runs),
            "version": snapshot.version,
            "scanned_at": snapshot.scanned_at,
            "waiting_for": scanner.waiting_for,  # roots not there yet
            "vanished": scanner.vanished,  # roots that were there: their runs are kept as last seen
        }
    )


def run_json(run: RunRecord, now: float) -> dict:
    """One run as the API shows it (the README's documented fields, then extras)."""
    meta = run.meta
    return {
        "run_id": run.run_id,
        "name": run.name,
        "kind": run.kind,
        "status": meta.status,
        "stale": run.stale,
        "created_at": meta.created_at,
        "ended_at": meta.ended_at,
        "tags": list(run.tags),
        "notes": run.notes,
        "archived": run.archived,
        "hparams": meta.hparams,
        "summary": meta.summary,
        "updated_at": meta.updated_at,
        "duration": run.duration(now),
        "heartbeat_at": run.files.heartbeat_mtime,
        "last_activity": run.last_activity,
        "quiet_for": run.quiet_for(now),
        "summary_stats": run.side.stats,
        "slurm_job_id": run.side.run_meta.slurm_job_id,
        "slurm_array_task_id": run.side.run_meta.slurm_array_task_id,
        "display_name": run.display_name,
        "writer_run_id": meta.writer_run_id,
        "checkpoint_path": meta.checkpoint_path,
        "path": run.path,
        "error": run.error,
        "overlay_error": run.overlay_error,
        "warnings": list(meta.warnings),
    }
