"""Helpers for browser tests: a real waitress server in a thread, headless Debian Chromium."""

from __future__ import annotations

import threading
from contextlib import contextmanager

from waitress import create_server

CHROMIUM = "/usr/bin/chromium"
# Without these, Chromium tries to reach Google services that this offline machine refuses.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@contextmanager
def live_server(app):
    """Serve `app` on a free loopback port; yield its base URL."""
    server = create_server(app, host="127.0.0.1", port=0, threads=8)
    closing = threading.Event()

    def serve() -> None:
        try:
            server.run()
        except (OSError, ValueError):  # (ValueError: a descriptor already -1)
            # Closed from this test's thread while the loop still selected on a connection's socket:
            # EBADF there is the end of the test, not a failure of it (seen under load).
            if not closing.is_set():
                raise

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.effective_port}"
    finally:
        closing.set()
        server.close()


@contextmanager
def chromium_page(width: int = 1400, height: int = 900):
    """A fresh headless Chromium page; fails the test if the page broke its Content-Security-Policy
    or threw a JavaScript error."""
    from playwright.sync_api import sync_playwright

    problems: list[str] = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        try:
            page = browser.new_page(viewport={"width": width, "height": height})
            watch_for_problems(page, problems)
            yield page
        finally:
            browser.close()
    assert not problems, problems


def watch_for_problems(page, problems: list[str]) -> None:
    page.on("pageerror", lambda error: problems.append(f"page error: {error}"))
    page.on("console", lambda message: "Content Security Policy" in message.text and problems.append(message.text))
