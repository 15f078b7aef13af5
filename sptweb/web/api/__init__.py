"""The `api` blueprint: JSON twins of the pages, for scripts, charts and benchmarks."""

from flask import Blueprint

bp = Blueprint("api", __name__, url_prefix="/api")

from . import compare, logs, media, meta, metrics, runs  # noqa: E402,F401  (modules register their routes on bp)
