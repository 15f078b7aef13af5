"""The `runs` blueprint: the run table at `/` and one page per run."""
from __future__ import annotations

import time

from flask import Blueprint, render_template, request, url_for
from werkzeug.exceptions import HTTPException, InternalServerError

from . import edits, table
from .editing import check_body_size, refuse_if_read_only, save
from .chart_state import ChartState, group_keys
from .logs_views import logs_tab_context
from .media_views import media_tab_context
from .jsonutil import json_error
from .lookup import config, run_or_404, wants_fragment
from .scanner import scanner
from .selection import MAX_COMPARE_RUNS

bp = Blueprint("runs", __name__)

RUN_TABS = ("metrics", "media", "logs", "config")


@bp.get("/")
def index():
    """The run table; htmx swaps get only the table fragment."""
    query = table.TableQuery.from_args(request.args)
    snapshot = scanner.snapshot
    page = table.select(snapshot.runs, query, config().page_size)
    context = {
        "query": query,
        "page": page,
        "snapshot": snapshot,
        "now": time.time(),
        "max_compare": MAX_COMPARE_RUNS,
        "group_filter_args": table.group_filter_args,
    }
    if wants_fragment():
        return _vary(render_template("_runs_table.html", oob=True, **context))
    runs = snapshot.runs
    return _vary(
        render_template(
            "runs.html",
            columns=table.available_columns(runs),
            all_tags=table.all_tags(runs),
            group_choices=table.group_choices(runs),
            **context,
        )
    )


@bp.get("/run/<path:run_id>")
def run_page(run_id: str):
    """One run: header, tabs; `part=header|config` returns just that fragment."""
    run = run_or_404(run_id)
    tab = request.args.get("tab", "metrics")
    tab = tab if tab in RUN_TABS else "metrics"
    context = {**_header_context(run), "tab": tab, "key_filter": request.args.get("kf", "").strip()}
    if tab == "metrics":
        context.update(_metrics_context(run))
    if tab == "logs":
        context.update(logs_tab_context(run))
    if tab == "media":
        context.update(media_tab_context(run))
    part = request.args.get("part")
    if part == "header":
        return render_template("_run_header.html", **context)
    if part in ("metrics", "logs", "media"):  # a tab re-rendered in place; the address bar shows the full page
        page_url = url_for("runs.run_page", run_id=run.run_id, **_page_args(context))
        return render_template(f"_run_{part}.html", **context), {"HX-Replace-Url": page_url}
    if part == "config":  # the filter box: keep the address bar a bookmarkable full-page URL
        page_url = url_for("runs.run_page", run_id=run.run_id, tab="config", kf=context["key_filter"] or None)
        return render_template("_run_config.html", **context), {"HX-Replace-Url": page_url}
    return render_template("run.html", tabs=RUN_TABS, **context)


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
    return render_template("_run_header.html", edit_error=error, **_header_context(run))


def _header_context(run) -> dict:
    """What the run header needs, on the page and after an edit."""
    return {"run": run, "now": time.time(), "all_tags": table.all_tags(scanner.snapshot.runs)}


def _page_args(context: dict) -> dict:
    """The request's args as a bookmarkable page URL: no `part`, and the media slider as a step."""
    args = {key: value for key, value in request.args.items() if key not in ("part", "si")}
    if "si" in request.args and context.get("media_step") is not None:
        args["step"] = f"{context['media_step']:g}"
    return args


def _metrics_context(run) -> dict:
    """What the metrics tab renders: metric groups from the header (rows parse when charts ask), options from the URL."""
    header = scanner.metrics.header(run.path)
    return {
        "metric_groups": group_keys(sorted(header.metric_columns) if header else []),
        "has_epoch": header is not None and header.epoch_col is not None,
        "chart": ChartState.from_args(request.args),
    }


def _vary(body: str):
    """The same URL serves a page or a fragment, so caches must key on HX-Request."""
    return body, 200, {"Vary": "HX-Request"}


def register_error_pages(app) -> None:
    """HTML error pages for people, JSON errors under /api/ for scripts."""

    @app.errorhandler(HTTPException)
    def http_error(error: HTTPException):
        if request.path.startswith("/api/"):
            return json_error(error.description or error.name, error.code or 500)
        return render_template("error.html", error=error), error.code

    @app.errorhandler(Exception)
    def unexpected_error(error: Exception):
        """A bug, not bad input: log it, and still answer in the shape the client expects."""
        app.logger.exception("unhandled error on %s", request.path)
        return http_error(InternalServerError(f"internal error ({type(error).__name__}); see the server log"))
