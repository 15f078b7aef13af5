"""sptweb: a self-hosted web viewer for ML training runs on shared filesystems."""
from __future__ import annotations

import os
from dataclasses import replace

from flask import Flask

from . import security
from .config import Config

__all__ = ["create_app"]


def create_app(config: Config | dict | None = None) -> Flask:
    """Build the app: settings, the scanner singleton (started), blueprints, filters."""
    if not isinstance(config, Config):
        config = Config.from_env(config)
    if config.auth and not config.token:
        config = replace(config, token=security.load_or_create_token())
    templates, static = _asset_dirs()
    app = Flask(__name__, template_folder=templates, static_folder=static)
    app.config["SPTWEB"] = config
    app.json.sort_keys = False
    app.config["MAX_CONTENT_LENGTH"] = 1 << 20  # no endpoint takes more; larger bodies get a 413

    from . import api, compare, events, formatting, logs_views, media_views, runs
    from .scanner import scanner

    security.init_app(app, config)
    formatting.register(app)
    app.register_blueprint(runs.bp)
    app.register_blueprint(compare.bp)
    app.register_blueprint(logs_views.bp)
    app.register_blueprint(media_views.bp)
    app.register_blueprint(api.bp)
    app.register_blueprint(events.bp)
    runs.register_error_pages(app)
    app.context_processor(lambda: {"scanner_root": scanner.root, "editable": not config.read_only})
    scanner.init_app(app, config)
    return app


def _asset_dirs() -> tuple[str, str]:
    """templates/ and static/: inside the package when installed, at the repo top in a checkout."""
    package_dir = os.path.dirname(os.path.abspath(__file__))
    installed = os.path.join(package_dir, "templates")
    base = package_dir if os.path.isdir(installed) else os.path.dirname(package_dir)
    return os.path.join(base, "templates"), os.path.join(base, "static")
