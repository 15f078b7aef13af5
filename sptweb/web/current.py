"""The current request's view of the app: settings, scanner, a run or a 404, the htmx request kind."""

from __future__ import annotations

from flask import abort, current_app, request

from ..config import Config
from ..scan import RunRecord, Scanner, scanner_of


def settings() -> Config:
    return current_app.config["SPTWEB"]


def get_scanner() -> Scanner:
    """The scanner this app registered (`Scanner.init_app`); views never import the global."""
    return scanner_of(current_app)


def run_or_404(run_id: str | None) -> RunRecord:
    """The run with this id in the current snapshot; a 404 naming it otherwise."""
    run_id = (run_id or "").rstrip("/")
    scanner = get_scanner()
    run = scanner.snapshot.get(run_id)
    if run is None:
        abort(404, description=f"No run with id {run_id!r} under {scanner.root}.")
    return run


def wants_fragment() -> bool:
    """An htmx swap wants only the fragment; history restores and plain loads want the page."""
    return bool(request.headers.get("HX-Request")) and not request.headers.get("HX-History-Restore-Request")


THEME_COOKIE = "sptweb_theme"  # set by static/theme.js when the user flips the toggle


def theme_choice() -> str | None:
    """ "dark" or "light" if the user chose one with the toggle; None follows the system (prefers-color-scheme)."""
    value = request.cookies.get(THEME_COOKIE)
    return value if value in ("dark", "light") else None
