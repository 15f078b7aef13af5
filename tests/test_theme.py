"""Dark mode: follows the system until the user picks, and the pick is remembered server-side."""

from __future__ import annotations

import pytest
from browser import chromium_page, live_server

pytestmark = pytest.mark.browser

BACKGROUND = "getComputedStyle(document.documentElement).backgroundColor"


def luminance(css_rgb: str) -> float:
    red, green, blue = (int(part) for part in css_rgb[css_rgb.index("(") + 1 : css_rgb.index(")")].split(",")[:3])
    return 0.2126 * red + 0.7152 * green + 0.0722 * blue


def test_dark_mode_follows_the_system_and_the_toggle_is_remembered(app, make_run, scan):
    run_dir = make_run("t/r")
    (run_dir / "train.out").write_text("hello\n")
    scan()
    with live_server(app) as base, chromium_page() as page:
        page.emulate_media(color_scheme="dark")
        page.goto(base + "/")
        assert luminance(page.evaluate(BACKGROUND)) < 60  # the system says dark: no choice needed
        assert page.evaluate("document.documentElement.dataset.theme || ''") == ""
        page.click(".theme-toggle")
        assert luminance(page.evaluate(BACKGROUND)) > 200
        assert {"name": "sptweb_theme", "value": "light"}.items() <= page.context.cookies()[0].items()
        page.goto(base + "/run/t/r?tab=logs")  # the next page is rendered light by the server, no flash
        assert page.evaluate("document.documentElement.dataset.theme") == "light"
        assert luminance(page.evaluate(BACKGROUND)) > 200
        page.click(".theme-toggle")
        assert luminance(page.evaluate(BACKGROUND)) < 60
        panel = page.evaluate("getComputedStyle(document.querySelector('.run-header')).backgroundColor")
        assert luminance(panel) < 60  # panels follow, not just the page


def test_the_server_renders_the_chosen_theme(client):
    assert "data-theme" not in client.get("/").text.split("<head>")[0]  # no choice: follow the system
    client.set_cookie("sptweb_theme", "dark")
    assert '<html lang="en" data-theme="dark">' in client.get("/").text
    client.set_cookie("sptweb_theme", "<script>")
    assert "data-theme" not in client.get("/").text.split("<head>")[0]  # only the two known values
