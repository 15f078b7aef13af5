"""Error pages: HTML for people, the API's JSON error shape under /api/ for scripts."""

from __future__ import annotations

from flask import Flask, render_template, request
from werkzeug.exceptions import HTTPException, InternalServerError

from .responses import json_error


def register_error_pages(app: Flask) -> None:
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
