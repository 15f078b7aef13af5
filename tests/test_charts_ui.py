"""Chart panels: options kept in the URL, the palette, legends that highlight and hide, group mode,
panels opened large, PNG export. Server-side checks first, then the pages in headless Chromium."""

from __future__ import annotations

import re
import shutil
import struct
from pathlib import Path

import pytest
from browser import chromium_page

from sptweb.query.charts import ChartState, auto_smoothing
from sptweb.query.colors import PALETTE_DARK, PALETTE_LIGHT

STATIC = Path(__file__).parent.parent / "static"
TB_FIXTURE = Path(__file__).parent / "fixtures" / "lightning" / "tensorboard"


# ---- server side: options in the URL, defaults, the palette ----------------------------------------


def test_chart_options_are_read_from_the_url_and_bad_values_fall_back():
    state = ChartState.from_args({"size": "l", "outliers": "1", "ymin": "0", "ymax": "1.5", "x": "relative"})
    assert (state.size, state.outliers, state.ymin, state.ymax, state.x) == ("l", True, 0.0, 1.5, "relative")
    fallback = ChartState.from_args({"size": "xl", "outliers": "yes", "ymin": "nan", "x": "hours"})
    assert (fallback.size, fallback.outliers, fallback.ymin, fallback.x) == ("m", False, None, "step")
    assert ChartState.from_args({}).smooth is None and ChartState.from_args({}).slider == 0.6  # automatic
    assert ChartState.from_args({"smooth": "0"}).smooth == 0.0  # an explicit "off" stays off


def test_auto_smoothing_smooths_dense_train_series_only():
    assert auto_smoothing("train/loss", 20_000) == 0.6
    assert auto_smoothing("train/loss", 40) == 0.0  # sparse: already a trend
    assert auto_smoothing("val/acc", 20_000) == 0.0  # averaged over a whole set
    assert auto_smoothing("lr-AdamW", 20_000) == 0.0  # a schedule: smoothing would only make it lag
    assert auto_smoothing("test_loss", 5_000) == 0.0


def test_the_run_page_renders_the_options_of_its_url(client, make_run, scan):
    make_run("p/r", metrics="step,train/loss\n" + "".join(f"{s},{1 / (s + 1)}\n" for s in range(10)))
    scan()
    html = client.get("/run/p/r?tab=metrics&size=l&outliers=1&ymin=0&ymax=2.5&smooth=0.3").text
    assert 'class="metrics size-l"' in html
    assert re.search(r'value="l" checked', html) and re.search(r'name="outliers" value="1" checked', html)
    assert 'name="ymin" step="any" value="0.0"' in html and 'name="ymax" step="any" value="2.5"' in html
    assert 'name="smooth-value">0.30<' in html  # explicit weight, and the "auto" button to go back
    default = client.get("/run/p/r?tab=metrics").text
    assert 'class="metrics size-m"' in default and 'name="smooth-value">auto<' in default
    assert 'value="relative"' not in default  # relative time needs wall times: event files only


def test_api_smooth_auto_decides_per_series(client, make_run, scan):
    rows = "".join(f"{step},{1 + (step % 7) / 10},{'' if step % 100 else 0.5}\n" for step in range(1000))
    make_run("p/r", metrics="step,train/loss,val/acc\n" + rows)
    scan()
    series = client.get("/api/metrics?run=p/r&smooth=auto").json["series"]
    assert (
        series["train/loss"]["smooth_weight"] == 0.6
        and len(series["train/loss"]["smooth"]) == series["train/loss"]["count"]
    )
    assert series["val/acc"]["smooth_weight"] == 0.0 and "smooth" not in series["val/acc"]
    assert "smooth" not in client.get("/api/metrics?run=p/r").json["series"]["train/loss"]  # no smooth=: off, as before


def test_relative_time_counts_seconds_from_the_runs_first_point(runs_root, client, scan):
    shutil.copytree(TB_FIXTURE, runs_root / "tb")
    scan()
    run = "tb/tiny/version_0"
    wall = client.get(f"/api/metrics?run={run}&keys=train/loss&x=wall").json["series"]["train/loss"]
    relative = client.get(f"/api/metrics?run={run}&keys=train/loss&x=relative").json["series"]["train/loss"]
    assert relative["x"][0] >= 0 and relative["x"][0] < 60
    offsets = [w - r for w, r in zip(wall["x"], relative["x"])]
    assert max(offsets) - min(offsets) < 1e-3  # the same points, shifted by the run's start
    assert 'value="relative"' in client.get(f"/run/{run}?tab=metrics").text


def test_charts_css_holds_the_palette_of_colors_py():
    css = (STATIC / "charts.css").read_text()
    blocks = re.findall(r"\{([^{}]*--series-0:[^{}]*)\}", css)
    assert len(blocks) == 3  # light, dark by system preference, dark by the toggle
    for block, palette in zip(blocks, (PALETTE_LIGHT, PALETTE_DARK, PALETTE_DARK)):
        values = dict(re.findall(r"--series-(\d+):\s*(#[0-9a-f]{6})", block))
        assert [values[str(index)] for index in range(len(palette))] == list(palette)
    assert len(set(PALETTE_LIGHT)) == len(PALETTE_LIGHT) == len(PALETTE_DARK) == len(set(PALETTE_DARK)) == 20


def test_compare_page_colours_runs_by_palette_slot_and_says_the_group_note_once(client, make_run, scan):
    for index, (lr, seed) in enumerate([(0.1, 1), (0.1, 2), (0.01, 1), (0.01, 2)]):
        make_run(
            f"sw/{index}",
            hparams={"lr": lr, "seed": seed, "slurm.nodelist": f"node-{index % 3}"},
            metrics="step,loss\n0,1\n",
        )
    scan()
    ids = ",".join(f"sw/{index}" for index in range(4))
    html = client.get(f"/compare?runs={ids}").text
    assert [f"var(--series-{slot})" for slot in range(4)] == re.findall(r'fill="(var\(--series-\d+\))"', html)[:4]
    grouped = client.get(f"/compare?runs={ids}&group=-seed").text
    assert grouped.count('class="group-note"') == 1
    assert "2 groups by lr · band: mean ± std" in grouped  # the node list is not a grouping key
    assert re.search(r'<ul class="run-legend" hidden', grouped)  # colours mean groups: the per-run list steps aside


# ---- in the browser -------------------------------------------------------------------------------

SPIKY = "".join(f"{step},{2.0 - step / 1000 + (50.0 if step == 500 else 0)}\n" for step in range(1000))


@pytest.fixture
def sweep(make_run, scan):
    """Four runs of flat, well separated losses (so a line's height says which run it is), two lrs by two seeds."""
    for index, (lr, seed) in enumerate([(0.1, 1), (0.1, 2), (0.01, 1), (0.01, 2)]):
        rows = "".join(f"{step},{index + 1.0},{index + 2.0}\n" for step in range(300))
        make_run(
            f"sw/r{index}",
            hparams={"lr": lr, "seed": seed},
            tags=["sweep:7"],
            metrics="step,train/loss,train/acc\n" + rows,
        )
    scan()
    return "/compare?smooth=0&runs=" + ",".join(f"sw/r{index}" for index in range(4))


@pytest.fixture
def spiky_run(make_run, scan):
    """One run whose train/loss has a single spike: the metrics tab's path."""
    make_run("m/r", metrics="step,train/loss\n" + SPIKY)
    scan()
    return "/run/m/r?tab=metrics"


def open_chart(page, url: str) -> None:
    """Open a run page and wait until its train/loss chart is drawn."""
    page.goto(url)
    page.wait_for_selector(".panel[data-key='train/loss'] canvas")


PLOT = 'document.querySelector("{panel} .chart").uplot'


def plot_eval(page, key: str, expression: str):
    """Evaluate `expression` with `u` = the uPlot of the panel of `key`."""
    return page.evaluate(
        f"() => {{ const u = {PLOT.format(panel=f'.panel[data-key={key!r}]')}; return {expression}; }}"
    )


def legend_state(page, key: str) -> dict:
    return page.evaluate(
        "key => Object.fromEntries([...document.querySelectorAll(`.panel[data-key='${key}'] .legend .entry`)]"
        ".map(e => [e.querySelector('.name').textContent, e.className.replace('entry', '').trim()]))",
        key,
    )


@pytest.mark.browser
def test_compare_palette_hover_highlight_and_legend_click(server, sweep):
    with chromium_page() as page:
        page.goto(server + sweep)
        page.wait_for_selector(".panel[data-key='train/loss'] .chart[data-lines='4'] canvas")
        page.wait_for_selector(".panel[data-key='train/acc'] .chart[data-lines='4'] canvas")
        marks = page.eval_on_selector_all(
            ".panel[data-key='train/loss'] .legend .entry i",
            "marks => marks.map(m => getComputedStyle(m).backgroundColor)",
        )
        assert marks == [_rgb(color) for color in PALETTE_LIGHT[:4]]  # distinct palette colours, in comparison order
        assert list(legend_state(page, "train/loss")) == ["r0", "r1", "r2", "r3"]  # shared "sw/" dropped

        # hovering a line highlights that run in every panel and dims the rest
        box = page.locator(".panel[data-key='train/loss'] .u-over").bounding_box()
        y = plot_eval(page, "train/loss", "u.valToPos(3, 'y')")  # r2's flat line
        page.mouse.move(box["x"] + box["width"] / 2, box["y"] + y)
        page.wait_for_function(
            "() => document.querySelector(\".panel[data-key='train/acc'] .entry[data-entry='sw/r2']\").className === 'entry'"
        )
        assert legend_state(page, "train/acc") == {"r0": "dim", "r1": "dim", "r2": "", "r3": "dim"}
        alphas = plot_eval(page, "train/acc", "u.series.slice(1).map(s => s.alpha)")
        assert alphas == [0.15, 0.15, 1, 0.15]
        assert "r2" in page.locator(".panel[data-key='train/loss'] .compare-tooltip .hot").inner_text()

        # hovering a legend entry does the same; clicking it hides the run everywhere, a second click shows it
        page.hover(".panel[data-key='train/acc'] .entry[data-entry='sw/r0']")
        page.wait_for_function(
            "() => document.querySelector(\".panel[data-key='train/loss'] .entry[data-entry='sw/r1']\").classList.contains('dim')"
        )
        page.click(".panel[data-key='train/acc'] .entry[data-entry='sw/r0']")
        assert plot_eval(page, "train/loss", "u.series.slice(1).map(s => s.show)") == [False, True, True, True]
        assert "off" in legend_state(page, "train/loss")["r0"]
        assert page.locator(".run-legend li[data-run-id='sw/r0'].off").count() == 1
        page.click(".panel[data-key='train/acc'] .entry[data-entry='sw/r0']")
        assert plot_eval(page, "train/acc", "u.series[1].show") is True


@pytest.mark.browser
def test_group_mode_lists_groups_in_the_legend_and_says_the_note_once(server, sweep):
    with chromium_page(width=900) as page:
        page.goto(server + sweep)
        page.wait_for_selector(".panel[data-key='train/loss'] .chart[data-lines='4'] canvas")
        assert page.locator(".run-legend").is_visible() and not page.locator(".group-summary").is_visible()
        page.fill("input[name=group]", "-seed")
        page.locator("input[name=group]").dispatch_event("change")
        page.wait_for_selector(".panel[data-key='train/loss'] .chart[data-bands='2'] canvas")
        page.wait_for_selector(".panel[data-key='train/acc'] .chart[data-bands='2'] canvas")
        assert page.locator(".group-note").count() == 1
        assert page.locator(".group-note").inner_text() == "2 groups by lr · band: mean ± std"
        assert not page.locator(".run-legend").is_visible()  # the per-run list gives way to the groups
        entries = page.eval_on_selector_all(
            ".panel[data-key='train/loss'] .legend .entry", "es => es.map(e => e.innerText.trim())"
        )
        assert entries == ["lr=0.1\nn=2", "lr=0.01\nn=2"] or entries == ["lr=0.1 n=2", "lr=0.01 n=2"]
        assert page.locator(".group-legend li").count() == 2
        assert "n=2" in page.locator(".group-legend li").first.inner_text()
        assert page.locator(".panel .stats").first.inner_text().startswith("4 runs in 2 groups")  # no note per panel
        overflow = page.evaluate("() => document.documentElement.scrollWidth - document.documentElement.clientWidth")
        assert overflow <= 0  # nothing sticks out at 900 px


@pytest.mark.browser
def test_size_outliers_and_y_range_live_in_the_url(server, spiky_run):
    with chromium_page() as page:
        open_chart(page, server + spiky_run + "&smooth=0")
        assert plot_eval(page, "train/loss", "u.scales.y.max") > 50  # the one spike sets the scale
        width_m = page.locator(".panel[data-key='train/loss']").bounding_box()["width"]

        page.check("input[name=outliers]")
        page.wait_for_function("() => location.search.includes('outliers=1')")
        page.wait_for_function(
            f"() => {PLOT.format(panel='.panel')}.scales.y.max < 3"
        )  # scaled to the curve, not the spike

        page.fill("input[name=ymin]", "0.5")
        page.locator("input[name=ymin]").dispatch_event("change")
        page.fill("input[name=ymax]", "4")
        page.locator("input[name=ymax]").dispatch_event("change")
        page.wait_for_function("() => location.search.includes('ymin=0.5') && location.search.includes('ymax=4')")
        page.wait_for_function(f"() => {PLOT.format(panel='.panel')}.scales.y.max === 4")
        assert plot_eval(page, "train/loss", "u.scales.y.min") == 0.5

        page.click(".sizes label:has(input[value=s])")
        page.wait_for_function("() => location.search.includes('size=s')")
        page.wait_for_selector(".panel[data-key='train/loss'] canvas")
        assert page.locator("#run-metrics.size-s").count() == 1
        assert plot_eval(page, "train/loss", "u.height") == 170

        page.reload()
        page.wait_for_selector(".panel[data-key='train/loss'] canvas")
        assert page.is_checked("input[name=outliers]") and page.input_value("input[name=ymax]") == "4.0"
        assert plot_eval(page, "train/loss", "[u.scales.y.min, u.scales.y.max, u.height]") == [0.5, 4, 170]
        assert page.locator(".panel[data-key='train/loss']").bounding_box()["width"] <= width_m


@pytest.mark.browser
def test_run_legend_names_raw_and_smoothed_and_the_stat_line_is_one_line(server, spiky_run):
    with chromium_page(width=900) as page:
        open_chart(page, server + spiky_run)  # no smooth=: automatic, 0.6 on a dense train series
        assert list(legend_state(page, "train/loss")) == ["raw", "smoothed (0.6)"]
        assert page.locator(".u-legend").count() == 0  # uPlot's "step: -- ☐ name: —" row is gone
        stats = page.locator(".panel[data-key='train/loss'] .stats")
        assert re.fullmatch(r"last \S+ · min \S+ · max \S+ · [\d,]+( of [\d,]+)? pts", stats.inner_text())
        assert stats.bounding_box()["height"] < 20  # one line
        box = page.locator(".panel .u-over").bounding_box()
        page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
        page.wait_for_function("() => document.querySelector('.legend .entry .value').textContent !== ''")
        assert page.locator(".chart .legend-x").inner_text().startswith("step ")


@pytest.mark.browser
def test_a_panel_opens_large_with_its_own_zoom_and_esc_closes_it(server, spiky_run):
    with chromium_page() as page:
        open_chart(page, server + spiky_run)
        page.click(".panel[data-key='train/loss'] button.expand")
        page.wait_for_selector("dialog.chart-dialog[open] canvas")
        size = page.evaluate("() => document.querySelector('dialog.chart-dialog .chart').uplot.width")
        assert size > 1000  # large: most of the 1400 px window
        box = page.locator("dialog.chart-dialog .u-over").bounding_box()
        page.mouse.move(box["x"] + box["width"] * 0.2, box["y"] + 50)
        page.mouse.down()
        page.mouse.move(box["x"] + box["width"] * 0.4, box["y"] + 50, steps=5)
        page.mouse.up()
        page.wait_for_selector("dialog.chart-dialog button.reset:not([hidden])")
        assert "xmin" not in page.url  # the page's own zoom (and URL) stay as they were
        page.keyboard.press("Escape")
        page.wait_for_selector("dialog.chart-dialog", state="detached")


@pytest.mark.browser
def test_png_export_is_twice_the_panel_with_its_title(server, spiky_run):
    with chromium_page() as page:
        open_chart(page, server + spiky_run)
        width, height = plot_eval(page, "train/loss", "[u.width, u.height]")
        with page.expect_download() as download:
            page.click(".panel[data-key='train/loss'] a.png")
        assert download.value.suggested_filename == "m_r_train_loss.png"
        png = Path(download.value.path()).read_bytes()
        image_width, image_height = struct.unpack(">II", png[16:24])
        assert image_width == 2 * width
        assert image_height > 2 * height + 40  # the title and legend lines above the chart


@pytest.mark.browser
def test_charts_follow_the_theme(server, sweep):
    with chromium_page() as page:
        page.goto(server + sweep)
        page.wait_for_selector(".panel[data-key='train/loss'] .chart[data-lines='4'] canvas")
        first_mark = "() => getComputedStyle(document.querySelector(\".panel[data-key='train/loss'] .legend .entry i\")).backgroundColor"
        assert page.evaluate(first_mark) == _rgb(PALETTE_LIGHT[0])
        page.click(".theme-toggle")
        page.wait_for_function(f"() => ({first_mark})() === '{_rgb(PALETTE_DARK[0])}'")
        axis = plot_eval(page, "train/loss", "u.axes[1].stroke(u, 1)")
        assert axis == page.evaluate(
            "() => getComputedStyle(document.documentElement).getPropertyValue('--muted').trim()"
        )


def _rgb(hex_color: str) -> str:
    red, green, blue = (int(hex_color[at : at + 2], 16) for at in (1, 3, 5))
    return f"rgb({red}, {green}, {blue})"
