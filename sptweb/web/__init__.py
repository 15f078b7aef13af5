"""The web layer: blueprints, request arguments, JSON responses, template filters, error pages.

The only package that imports Flask (besides the app factory, the server and
security at the top). Views reach the scanner through the app
(`current.get_scanner()`), ask `query/` what to show, and render templates.
No blueprint imports another; what two of them share lives in a plain module
(`current`, `args`, `log_access`, `editing`, `run_tabs`).
"""

from __future__ import annotations

from flask import Flask

from ..config import Config
from ..query import table
from ..scan import Snapshot
from . import api, compare, events, logs_fragments, media_files, runs, template_filters
from .current import get_scanner, theme_choice
from .errors import register_error_pages

BLUEPRINTS = (runs.bp, compare.bp, logs_fragments.bp, media_files.bp, api.bp, events.bp)


def register(app: Flask, config: Config) -> None:
    """Blueprints, template filters, error pages and the values every template sees."""
    for blueprint in BLUEPRINTS:
        app.register_blueprint(blueprint)
    template_filters.register(app)
    register_error_pages(app)

    app.context_processor(
        lambda: {
            "scanner_root": get_scanner().root,
            "editable": not config.read_only,
            "stale_after": config.stale_after,
            "theme": theme_choice(),
        }
    )


def warmers(config: Config) -> dict:
    """What the scanner thread derives for the views when it starts (see Scanner.warmers): the table's
    default view, so that the first request after a restart does not build it."""

    def default_table(snapshot: Snapshot) -> None:
        table.select(snapshot, table.TableQuery.from_args({}), config.page_size)

    return {"table": default_table}
