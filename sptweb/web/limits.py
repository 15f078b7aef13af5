"""Caps on requests that hold a server thread for long: live streams and whole-log searches.

One counter per app and kind (so test apps never share a cap); a request
past the cap gets a clear answer at once instead of queueing behind others.
"""

from __future__ import annotations

import threading

from flask import current_app


class Slots:
    """A counter of running requests of one kind, with a limit checked on acquire."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.active = 0

    def acquire(self, limit: int) -> bool:
        with self._lock:
            if self.active >= limit:
                return False
            self.active += 1
            return True

    def release(self) -> None:
        with self._lock:
            self.active -= 1


def slots(kind: str) -> Slots:
    """This app's counter for `kind` (e.g. "sse", "search")."""
    return current_app.extensions.setdefault(f"sptweb.{kind}_slots", Slots())


MAX_SEARCHES = 4  # whole-log searches at once (2 cores): more answer 429 instead of starving every page


def once(action):
    """Wrap `action` so a second call does nothing (a response may be closed twice)."""
    done = threading.Event()

    def call() -> None:
        if not done.is_set():
            done.set()
            action()

    return call
