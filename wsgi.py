"""WSGI entry point: `waitress-serve wsgi:app`, configured by SPTWEB_* environment variables.

SPTWEB_RUNS_DIR is the runs root; see sptweb/config.py for the rest.
"""

from sptweb import create_app

app = create_app()
