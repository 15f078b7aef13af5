"""The pages in a real headless Chromium: rows render, live updates arrive without a reload."""

import os

import pytest
from browser import chromium_page, live_server

from sptweb.scan import scanner_of

pytestmark = pytest.mark.browser

SCREENSHOTS = os.environ.get("SPTWEB_SCREENSHOTS")  # set to a folder to keep screenshots for review


def shoot(page, name: str) -> None:
    if SCREENSHOTS:
        os.makedirs(SCREENSHOTS, exist_ok=True)
        page.screenshot(path=os.path.join(SCREENSHOTS, f"{name}.png"), full_page=True)


def test_table_shows_rows_and_a_new_run_appears_live(server, make_run, scan):
    make_run("sweep/4000001_0/run", hparams={"optim.lr": 0.1}, summary={"val/acc": 0.71}, tags=["sweep:4000001"])
    make_run("sweep/4000001_1/run", status="failed", summary={"val/acc": 0.12}, tags=["sweep:4000001"])
    scan()
    with chromium_page() as page:
        page.goto(server + "/")
        page.wait_for_selector("tr.run-row")
        assert page.locator("tr.run-row").count() == 2
        _wait_for_stream(page)
        make_run("sweep/4000001_2/run", status="running", ended_at=None, heartbeat_age=1, display_name="fresh-run")
        scan()
        page.wait_for_selector("text=fresh-run", timeout=10_000)
        assert page.locator("tr.run-row").count() == 3
        assert page.evaluate("performance.getEntriesByType('navigation').length") == 1  # no reload happened
        shoot(page, "runs-table")


def test_search_box_filters_and_updates_the_url(server, make_run, scan):
    make_run("alpha", notes="look here")
    make_run("beta")
    scan()
    with chromium_page() as page:
        page.goto(server + "/")
        page.fill("input[name=q]", "look")
        page.wait_for_function("() => document.querySelectorAll('tr.run-row').length === 1")
        assert "q=look" in page.url
        assert page.locator("tr.run-row").first.get_attribute("data-run-id") == "alpha"


def test_run_page_badge_updates_live(server, make_run, scan):
    make_run("p/r", status="running", ended_at=None, heartbeat_age=1, hparams={"optim.lr": 0.1})
    scan()
    with chromium_page() as page:
        page.goto(server + "/run/p/r?tab=config")
        assert page.locator("#run-status").inner_text() == "running"
        assert page.locator("text=optim.lr").count() >= 1
        _wait_for_stream(page)
        make_run("p/r", status="completed")
        scan()
        page.wait_for_function("() => document.querySelector('#run-status').innerText === 'completed'", timeout=10_000)
        shoot(page, "run-page")


def _wait_for_stream(page) -> None:
    """Wait until the page's EventSource is open, so no event is missed."""
    page.evaluate(
        "new Promise(resolve => { const el = document.querySelector('[sse-connect]');"
        " const internal = el['htmx-internal-data']; const source = internal && internal.sseEventSource;"
        " if (source && source.readyState === 1) return resolve();"
        " el.addEventListener('htmx:sseOpen', () => resolve(), {once: true}); })"
    )


def test_metrics_tab_draws_charts_and_smoothing_lives_in_the_url(server, make_run, scan):
    rows = "".join(f"{step // 100},{step},{2.0 - step / 1000 + (5.0 if step == 500 else 0)},\n" for step in range(2000))
    make_run("m/r", metrics="epoch,step,train/loss,val/acc\n" + rows + "0,1999,,0.5\n")
    scan()
    with chromium_page() as page:
        page.goto(server + "/run/m/r?tab=metrics")
        page.wait_for_selector(".panel[data-key='train/loss'] canvas")
        assert page.locator(".panel canvas").count() == 2
        stats = page.locator(".panel[data-key='train/loss'] .stats").inner_text()
        assert "max 6.5" in stats  # the one-step spike is in the data the chart got
        page.locator("input[name=smooth]").fill("0.6")
        page.locator("input[name=smooth]").dispatch_event("change")
        page.wait_for_function("() => location.search.includes('smooth=0.6')")
        page.wait_for_selector(".panel[data-key='train/loss'] .legend .entry >> text=smoothed (0.6)")
        shoot(page, "metrics-tab")
        page.reload()
        assert page.locator("input[name=smooth]").input_value() == "0.6"  # the URL restores the option


def test_open_chart_extends_when_the_run_appends(server, make_run, runs_root, scan):
    make_run("live/r", status="running", ended_at=None, heartbeat_age=1, metrics="step,loss\n0,1.0\n1,0.9\n")
    scan()
    with chromium_page() as page:
        page.goto(server + "/run/live/r?tab=metrics")
        page.wait_for_selector(".panel[data-key='loss'] canvas")
        _wait_for_stream(page)
        with open(runs_root / "live/r/metrics.csv", "a") as handle:
            handle.write("2,0.123\n")
        scan()
        page.wait_for_function(
            "() => document.querySelector(\".panel[data-key='loss'] .stats\").innerText.includes('last 0.123')",
            timeout=10_000,
        )
        assert page.evaluate("performance.getEntriesByType('navigation').length") == 1


def test_compare_draws_overlays_and_a_group_band(server, make_run, scan):
    for name, lr, seed, offset in (("a", 0.1, 1, 0.0), ("b", 0.1, 2, 0.3), ("c", 0.01, 1, 1.0)):
        rows = "".join(f"{step},{offset + 2 / (step + 1)}\n" for step in range(300))
        make_run(f"sw/{name}", hparams={"lr": lr, "seed": seed}, tags=["sweep:5"], metrics="step,train/loss\n" + rows)
    scan()
    with chromium_page() as page:
        page.goto(server + "/compare?tag=sweep:5")
        page.wait_for_selector(".panel[data-key='train/loss'] .chart[data-lines='3'] canvas")
        assert "3 runs" in page.locator(".panel .stats").inner_text()
        page.fill("input[name=group]", "-seed")
        page.locator("input[name=group]").dispatch_event("change")
        page.wait_for_selector(".panel .chart[data-bands='2'] canvas")
        assert "group=-seed" in page.url
        note = page.locator(".group-note").inner_text()  # said once, above the panels
        assert note == "2 groups by lr · band: mean ± std"
        box = page.locator(".panel .u-over").bounding_box()
        page.mouse.move(box["x"] + box["width"] * 0.5, box["y"] + 40)
        page.wait_for_selector(".compare-tooltip:not([hidden])")
        assert "lr=0.01 (n=1)" in page.locator(".compare-tooltip").inner_text()
        shoot(page, "compare-bands")


def test_picking_runs_with_shift_click_opens_compare(server, make_run, scan):
    for index in range(5):
        make_run(f"pick/{index}", created_at=1000 + index)
    scan()
    with chromium_page() as page:
        page.goto(server + "/")
        boxes = page.locator("input.pick-run")
        boxes.nth(0).click()
        boxes.nth(3).click(modifiers=["Shift"])
        link = page.locator("#compare-selected")
        assert link.inner_text() == "Compare 4 selected"
        link.click()
        page.wait_for_selector("text=Comparing 4 runs")
        assert page.url.count("runs=") == 4


def test_logs_tab_follows_new_lines_and_loads_earlier(server, make_run, runs_root, scan):
    run_dir = make_run("l/r", status="running", ended_at=None, heartbeat_age=1)
    lines = "".join(f"early line {index:05d} {'x' * 60}\n" for index in range(20_000))  # ~1.5 MB: more than one window
    (run_dir / "train.out").write_text(lines + "last complete line\npartial")
    scan()
    with chromium_page() as page:
        page.goto(server + "/run/l/r?tab=logs")
        page.wait_for_selector("#log-lines >> text=last complete line")
        assert page.locator("#log-lines .partial").inner_text() == "partial"
        _wait_for_stream(page)
        with open(run_dir / "train.out", "a") as handle:
            handle.write(" now complete\n\x1b[31mfresh red line\x1b[0m\n")
        scan()
        page.wait_for_selector("#log-lines .ansi-fg-31 >> text=fresh red line", timeout=10_000)
        assert page.locator("#log-lines >> text=partial now complete").count() == 1  # the finished line, once
        assert page.evaluate(
            "(() => { const v = document.getElementById('log-view'); return v.scrollHeight - v.scrollTop - v.clientHeight < 40; })()"
        )
        first_before = page.locator("#log-lines .line").first.inner_text()
        page.click("#log-earlier")
        page.wait_for_function(f"() => document.querySelector('#log-lines .line').innerText !== {first_before!r}")
        assert page.locator("#log-lines .line").first.inner_text().startswith("early line 00000")
        assert page.locator("#log-earlier").count() == 0  # reached the start of the file
        page.click("#log-pause")
        assert page.locator("#log-live").inner_text() == "❚❚ paused"
        shoot(page, "logs-tab")


def test_media_tab_shows_images_and_plays_a_video(server, make_run, scan):
    import json
    import shutil
    from pathlib import Path

    import numpy as np

    from sptweb.demo.images import encode_png  # the demo's own PNG encoder

    run_dir = make_run("media/r")
    events = []
    for step in (10, 20):
        for index in range(2):
            path = f"media/samples__recon/{step:08d}_{index}.png"
            (run_dir / path).parent.mkdir(parents=True, exist_ok=True)
            (run_dir / path).write_bytes(encode_png(np.full((16, 16, 3), (step * 5, index * 120, 200), dtype=np.uint8)))
            events.append(
                {
                    "step": step,
                    "tag": "samples/recon",
                    "type": "image",
                    "path": path,
                    "caption": f"recon {step}/{index}",
                }
            )
    video = "media/rollout/00000020_0.webm"
    (run_dir / video).parent.mkdir(parents=True)
    shutil.copy(Path(__file__).parent / "fixtures" / "tiny.webm", run_dir / video)
    events.append({"step": 20, "tag": "rollout", "type": "video", "path": video, "fps": 8, "format": "webm"})
    (run_dir / "media.jsonl").write_text("".join(json.dumps(item) + "\n" for item in events))
    scan()
    with chromium_page() as page:
        page.goto(server + "/run/media/r?tab=media")
        page.wait_for_function(
            "() => [...document.querySelectorAll('.media-item img')].every(img => img.complete && img.naturalWidth === 16)"
        )
        assert page.locator(".media-panel[data-tag='samples/recon'] img").count() == 2
        page.wait_for_function("() => document.querySelector('.media-item video').readyState >= 1")
        assert page.evaluate("document.querySelector('.media-item video').videoWidth") == 64
        page.keyboard.press("ArrowLeft")  # step back with the keyboard
        page.wait_for_selector("text=recon 10/1")
        assert "step=10" in page.url
        page.click(".media-panel[data-tag='samples/recon'] img >> nth=0")
        page.wait_for_selector("dialog.lightbox[open] img")
        shoot(page, "media-tab")


def test_notes_edited_in_one_tab_show_in_another(server, make_run, scan):
    make_run("e/r", status="running", ended_at=None, heartbeat_age=1, notes="")
    scan()
    from browser import CHROMIUM, CHROMIUM_ARGS
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        try:
            writer, reader = browser.new_page(), browser.new_page()
            for page in (writer, reader):
                page.goto(server + "/run/e/r?tab=config")
                _wait_for_stream(page)
            writer.fill(".notes-form textarea", "diverges after warmup; try lr/2")
            writer.keyboard.press("Control+Enter")
            reader.wait_for_function(
                "() => document.querySelector('.notes-form textarea').value.includes('try lr/2')", timeout=10_000
            )
            writer.fill(".tag-add input", "promising")
            writer.keyboard.press("Enter")
            reader.wait_for_selector(".tag-editor >> text=promising", timeout=10_000)
            shoot(reader, "edited-run")
        finally:
            browser.close()


def test_token_link_logs_in_once_and_edits_pass_the_csrf_check(make_app, make_run):
    make_run("t/r", notes="")
    app = make_app(auth=True, token="tok-123")
    scanner = scanner_of(app)
    scanner.scan_once()
    with live_server(app) as base, chromium_page() as page:
        page.goto(base + "/")
        assert "needs its access token" in page.content()
        page.goto(base + "/?token=tok-123")
        assert page.url == base + "/"  # the token left the address bar (and the history)
        page.wait_for_selector("tr.run-row")
        page.goto(base + "/run/t/r?tab=config")
        page.fill(".notes-form textarea", "edited with the cookie")
        with page.expect_response(lambda response: "/edit" in response.url) as saved:
            page.keyboard.press("Control+Enter")
        assert saved.value.status == 200
    assert scanner.snapshot.get("t/r").notes == "edited with the cookie"


def test_a_chart_follows_a_replayed_spt_run_live(server, runs_root, scan):
    """The real writer rewrites sidecar.json on every flush; the chart must still follow with after=."""
    from sptweb.demo.replay import Replayer, load_trace, recordings_dir

    replayer = Replayer(load_trace(recordings_dir() / "completed.jsonl"), runs_root, run="spt/live")
    replayer.play(calls=40)
    scan()
    with chromium_page() as page:
        requests: list[str] = []
        page.on("request", lambda request: requests.append(request.url))
        page.goto(server + "/run/spt/live?tab=metrics")
        page.wait_for_selector(".panel[data-key='train/loss'] canvas")
        _wait_for_stream(page)
        before = page.locator(".panel[data-key='train/loss'] .stats").inner_text()
        replayer.play(calls=60)  # appends, sidecar and summary rewrites, heartbeat touches, a checkpoint
        scan()
        page.wait_for_function(
            "text => document.querySelector(\".panel[data-key='train/loss'] .stats\").innerText !== text",
            arg=before,
            timeout=10_000,
        )
        assert any("after=" in url and "train%2Floss" in url for url in requests)
        assert page.evaluate("performance.getEntriesByType('navigation').length") == 1


def test_a_run_with_hundreds_of_metrics_and_odd_names_draws(server, make_run, scan):
    names = [f"lr-AdamW/pg{index}" for index in range(409)] + ["val/acc,top1", "val/loss %"]
    header = "step," + ",".join(f'"{name}"' if "," in name else name for name in names)
    rows = "".join(
        f"{step}," + ",".join(f"{(step + column) % 9 / 9:.3f}" for column in range(len(names))) + "\n"
        for step in range(50)
    )
    make_run("wide/r", metrics=header + "\n" + rows)
    scan()
    with chromium_page() as page:
        page.goto(server + "/run/wide/r?tab=metrics")
        page.wait_for_selector(".panel[data-key='val/acc,top1'] canvas", timeout=10_000)  # the val group is open
        assert page.locator("details.metric-group[open]").count() == 1  # 409 lr panels wait, closed
        assert page.locator(".error-banner").count() == 0
        href = page.get_attribute(".panel[data-key='val/acc,top1'] a.csv", "href")
        assert "keys=val%2Facc%2Ctop1" in href and "format=csv" in href
        page.fill("input[name=mf]", "pg408")  # the name filter opens the group it finds in
        page.wait_for_selector(".panel[data-key='lr-AdamW/pg408'] canvas", timeout=10_000)
        shoot(page, "wide-run")
