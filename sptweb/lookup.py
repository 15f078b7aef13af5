"""Shared view helpers: the current snapshot, a run or a 404, htmx request kinds."""
from __future__ import annotations

from flask import abort, current_app, request

from .config import Config
from .records import RunRecord
from .scanner import scanner


def config() -> Config:
    return current_app.config["SPTWEB"]


def run_or_404(run_id: str | None) -> RunRecord:
    """The run with this id in the current snapshot; a 404 naming it otherwise."""
    run_id = (run_id or "").rstrip("/")
    run = scanner.snapshot.get(run_id)
    if run is None:
        abort(404, description=f"No run with id {run_id!r} under {scanner.root}.")
    return run


def wants_fragment() -> bool:
    """An htmx swap wants only the fragment; history restores and plain loads want the page."""
    return bool(request.headers.get("HX-Request")) and not request.headers.get("HX-History-Restore-Request")
