"""API: edit a run's display name, notes, tags and archived flag (kept in the viewer's overlay)."""

from __future__ import annotations

import json
import time

from flask import abort, request

from ... import edits
from .. import args
from ..current import run_or_404
from ..editing import check_body_size, refuse_if_read_only, save
from ..responses import json_response
from . import bp
from .runs import run_json


@bp.route("/meta", methods=["PATCH"])
def meta():
    """Apply a JSON object of edits; the same validation as the page forms; returns the run."""
    run = run_or_404(args.required("run"))
    refuse_if_read_only()
    check_body_size()
    try:
        payload = json.loads(request.get_data(cache=False) or b"null")
        edit = edits.validate(payload)
    except (json.JSONDecodeError, UnicodeDecodeError, RecursionError):
        abort(400, description="the body is not valid JSON")
    except edits.EditError as exc:
        abort(exc.status, description=exc.message)
    return json_response(run_json(save(run, edit), time.time()))
