"""The `runs` blueprint: the run table at `/`, one page per run, and the page forms' edits."""

from __future__ import annotations

import time

from flask import Blueprint, render_template, request, url_for

from .. import edits
from ..query import table
from ..query.selection import MAX_COMPARE_RUNS
from ..scan import RunRecord
from .current import get_scanner, run_or_404, settings, wants_fragment
from .editing import check_body_size, refuse_if_read_only, save
from .run_tabs import PARTS, TABS, header_context

bp = Blueprint("runs", __name__)


@bp.get("/")
def index():
    """The run table; htmx swaps get only the table fragment."""
    query = table.TableQuery.from_args(request.args)
    scanner = get_scanner()
    snapshot = scanner.snapshot
    context = {
        "waiting_for": scanner.waiting_for,
        "vanished": scanner.vanished,
        "root_labels": [label for label, _ in scanner.roots] if len(scanner.roots) > 1 else [],
        "query": query,
        "page": table.select(snapshot, query, settings().page_size),
        "snapshot": snapshot,
        "now": time.time(),
        "max_compare": MAX_COMPARE_RUNS,
        "group_filter_args": table.group_filter_args,
    }
    if wants_fragment():
        return _vary(render_template("_runs_table.html", oob=True, **context))
    return _vary(
        render_template(
            "runs.html",
            column_groups=table.column_groups(snapshot),
            all_tags=table.all_tags(snapshot),
            group_choices=table.group_choices(snapshot),
            **context,
        )
    )


@bp.get("/run/<path:run_id>")
def run_page(run_id: str):
    """One run: header and the chosen tab; `part=header|metrics|media|logs|config` returns just that fragment."""
    run = run_or_404(run_id)
    part = PARTS.get(request.args.get("part", ""))
    if part is not None:
        context = {"run": run, **part.context(run)}
        body = render_template(part.template, **context)
        if part is PARTS["header"]:
            return body
        # A tab re-rendered in place: the address bar shows the bookmarkable full page.
        return body, {"HX-Replace-Url": _page_url(run, request.args["part"], context)}
    tab = request.args.get("tab") if request.args.get("tab") in TABS else "metrics"
    context = {**header_context(run), **PARTS[tab].context(run)}
    return render_template("run.html", tabs=TABS, tab=tab, **context)


@bp.post("/edit")
def edit():
    """A page form's edit (rename, notes, tags, archive); answers with the refreshed fragment."""
    run = run_or_404(request.args.get("run"))
    refuse_if_read_only()
    check_body_size()
    error = None
    try:
        run = save(run, edits.from_form(request.form))
    except edits.EditError as exc:
        error = exc.message
    if request.args.get("view") == "row":  # from the table: the live table re-renders itself
        return ("", 204, {"HX-Trigger": "runs-edited"}) if error is None else (error, 422)
    return render_template("_run_header.html", edit_error=error, **header_context(run))


def _page_url(run: RunRecord, tab: str, context: dict) -> str:
    """The full page showing this tab as the fragment does: no `part`, and the media slider as a step."""
    args = {key: value for key, value in request.args.items() if key not in ("part", "si") and value}
    args["tab"] = tab
    if "si" in request.args and context.get("media_step") is not None:
        args["step"] = f"{context['media_step']:g}"
    return url_for("runs.run_page", run_id=run.run_id, **args)


def _vary(body: str):
    """The same URL serves a page or a fragment, so caches must key on HX-Request."""
    return body, 200, {"Vary": "HX-Request"}
