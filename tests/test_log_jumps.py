"""Opening a log at a line: a search hit, or the exception line of a failed run."""

from __future__ import annotations

import re

import pytest
from browser import chromium_page, live_server

from sptweb.logs.excerpt import pointed_line

TRACEBACK = (
    "epoch 3 step 70 loss 0.41\n"
    "Traceback (most recent call last):\n"
    '  File "train.py", line 9, in <module>\n'
    "    main()\n"
    "RuntimeError: CUDA error: out of memory\n"
    "srun: error: node12: task 0: Exited with exit code 1\n"
)


def test_the_pointed_line_is_the_exception_line_else_the_last_line():
    tail = b"noise\n" + TRACEBACK.encode()
    assert tail[pointed_line(tail) :].startswith(b"RuntimeError: CUDA error")
    assert pointed_line(b"a\nkilled by OOM\n\n") == 2  # no traceback: the last line that says something
    assert pointed_line(b"") is None and pointed_line(b"\n\n") is None


def hit_line(html: str) -> str | None:
    found = re.search(r'<span class="line hit" id="log-hit">(.*?)</span>', html)
    return found.group(1) if found else None


def test_a_search_hit_link_opens_the_log_at_that_line_without_following(client, make_run, scan):
    run_dir = make_run("l/r", status="running", ended_at=None, heartbeat_age=1)
    (run_dir / "train.out").write_text(
        "".join(f"line {index}\n" for index in range(50_000)) + "needle here\n" + "after\n" * 9
    )
    scan()
    found = client.get("/logs/search?run=l/r&stream=run:train.out&q=needle").text
    link = re.search(r'href="([^"]+)" class="line-no">50001<', found).group(1).replace("&amp;", "&")
    page = client.get(link).text
    assert hit_line(page) == "needle here"
    assert 'id="log-follow"' not in page  # a window in the middle: following from it would mislead
    assert "Go to the end and follow" in page
    assert hit_line(client.get("/run/l/r?tab=logs").text) is None  # the plain tab still opens at the tail


def test_a_failed_runs_logs_open_at_its_exception_line(client, make_run, scan):
    run_dir = make_run("f/r", status="failed")
    (run_dir / "train.err").write_text(TRACEBACK + "".join(f"teardown noise {index}\n" for index in range(300)))
    scan()
    header_link = re.search(r'Why it failed: the end of <a href="([^"]+)"', client.get("/run/f/r").text).group(1)
    assert "at=" in header_link
    assert hit_line(client.get(header_link.replace("&amp;", "&")).text) == "RuntimeError: CUDA error: out of memory"
    assert hit_line(client.get("/run/f/r?tab=logs").text) == "RuntimeError: CUDA error: out of memory"


@pytest.mark.browser
def test_clicking_a_search_hit_shows_the_line_highlighted_in_view(app, make_run, scan):
    run_dir = make_run("l/r")
    (run_dir / "train.out").write_text(
        "".join(f"line {index}\n" for index in range(20_000)) + "needle here\n" + "after\n" * 5000
    )
    scan()
    with live_server(app) as base, chromium_page() as page:
        page.goto(base + "/run/l/r?tab=logs")
        page.fill("input[name=q]", "needle")
        page.press("input[name=q]", "Enter")
        page.click(".log-matches a.line-no")
        page.wait_for_selector("#log-hit")
        assert page.locator("#log-hit").inner_text() == "needle here"
        in_view = page.evaluate(
            """() => {
                const view = document.getElementById('log-view').getBoundingClientRect();
                const hit = document.getElementById('log-hit').getBoundingClientRect();
                return hit.top >= view.top && hit.bottom <= view.bottom;
            }"""
        )
        assert in_view
        background = page.evaluate("getComputedStyle(document.getElementById('log-hit')).backgroundColor")
        assert background not in ("rgba(0, 0, 0, 0)", "transparent")
