"""One path for every edit, from the JSON API or a page form: check, validate, write, rescan."""

from __future__ import annotations

from flask import abort, request

from ..edits import OverlayError, OverlayWriteError
from ..edits.validate import MAX_BODY_BYTES
from ..scan import RunRecord
from .current import get_scanner, settings


def refuse_if_read_only() -> None:
    if settings().read_only:
        abort(403, description="this sptweb was started with --read-only; edits are turned off")


def check_body_size() -> None:
    if (request.content_length or 0) > MAX_BODY_BYTES:
        abort(413, description=f"request body over {MAX_BODY_BYTES // 1024} KiB")


def save(run: RunRecord, edit: dict) -> RunRecord:
    """Write the edit into the run's overlay; 409 for an unreadable overlay, 403 for an unwritable dir."""
    if run.overlay_error:
        abort(409, description=run.overlay_error)
    try:
        return get_scanner().edit(run, edit)
    except OverlayError as exc:
        abort(409, description=f"{exc}; fix or remove the overlay file before editing")
    except OverlayWriteError as exc:
        abort(403, description=f"{exc}; edits need write access to the run directory")
