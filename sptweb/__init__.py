"""sptweb: a self-hosted web viewer for ML training runs on shared filesystems."""

from __future__ import annotations

import os
from dataclasses import replace

from flask import Flask

from . import security, web
from .config import Config
from .scan import scanner

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

    security.init_app(app, config)
    web.register(app, config)
    scanner.init_app(app, config, warmers=web.warmers(config))
    return app


def _asset_dirs() -> tuple[str, str]:
    """templates/ and static/: inside the package when installed, at the repo top in a checkout."""
    package_dir = os.path.dirname(os.path.abspath(__file__))
    installed = os.path.join(package_dir, "templates")
    base = package_dir if os.path.isdir(installed) else os.path.dirname(package_dir)
    return os.path.join(base, "templates"), os.path.join(base, "static")
