"""The run table as a researcher uses it: filter errors that say what is wrong, the first sort direction,
one number format per column, archived runs, the column picker, and (in Chromium) typing that survives
live refreshes and a tag filter that survives the next search."""

import json
import re

import pytest
from browser import chromium_page
from conftest import row_ids

from sptweb.query.filter_expr import compile_filter
from sptweb.query.number_format import column_format
from sptweb.query.table import TableQuery


def column_cells(html: str, index: int) -> list[str]:
    """The text of the index-th numeric metric cell of every run row."""
    rows = re.findall(r'<tr class="run-row.*?</tr>', html, re.S)
    return [re.findall(r'<td class="num">([^<]*)</td>', row)[index + 1] for row in rows]  # +1: Duration


def patch(client, run_id, payload):
    return client.patch(f"/api/meta?run={run_id}", data=json.dumps(payload), content_type="application/json")


@pytest.fixture
def sweep(make_run, scan):
    make_run("s/a", hparams={"lr": 0.001, "seed": 1}, summary={"val/acc": 0.9123456, "steps": 1000}, created_at=100)
    make_run("s/b", hparams={"lr": 0.1, "seed": 2}, summary={"val/acc": 0.35, "steps": 250}, created_at=300)
    make_run("s/c", hparams={"lr": 0.01, "seed": 3}, summary={"val/acc": 0.7, "steps": 500}, created_at=200)
    scan()


# ---- filter errors ----


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("lr=>3", "unknown operator `=>` in `lr=>3`; use >="),
        ("lr=<3", "unknown operator `=<` in `lr=<3`; use <="),
        ("lr==3", "unknown operator `==` in `lr==3`; use ="),
        ("sum.val/acc>abc", "`sum.val/acc>abc`: `abc` is not a number"),
        ("lr>=", "`lr>=`: no number after `>=`"),
        (">3", "`>3`: no column before `>`"),
        ("nonsense", "cannot read filter clause `nonsense`"),
    ],
)
def test_a_bad_filter_clause_says_what_is_wrong(text, message):
    predicate, error = compile_filter(f"status=completed; {text}")
    assert error is not None and error.startswith(message)
    assert predicate(object())  # a filter that cannot be read filters nothing out


def test_the_filter_error_is_shown_above_the_table(client, sweep):
    html = client.get("/?filter=lr=>0.01").text
    assert "unknown operator `=&gt;` in `lr=&gt;0.01`; use &gt;=" in html
    assert set(row_ids(html)) == {"s/a", "s/b", "s/c"}


def test_good_filters_still_work(client, sweep):
    assert row_ids(client.get("/?filter=lr>=0.01; sum.val/acc>0.5").text) == ["s/c"]
    assert row_ids(client.get("/?filter=seed!=2;lr<0.05").text) == ["s/c", "s/a"]


# ---- the first click on a header ----


@pytest.mark.parametrize(
    ("column", "first"),
    [
        ("sum.val/acc", "-sum.val/acc"),  # best accuracy first
        ("created", "-created"),  # newest first
        ("duration", "-duration"),
        ("name", "name"),  # a to z
        ("status", "status"),
        ("hp.lr", "hp.lr"),  # hparams read in ascending order
    ],
)
def test_first_click_sorts_metrics_and_times_high_to_low(column, first):
    query = TableQuery(sort="id")
    assert query.sorted_by(column).get("sort", "-created") == first  # the default sort is left out of URLs
    flipped = first[1:] if first.startswith("-") else f"-{first}"
    assert TableQuery(sort=first).sorted_by(column).get("sort", "-created") == flipped


def test_metric_header_link_sorts_descending(client, sweep):
    html = client.get("/?sort=name&cols=sum.val/acc,hp.lr").text
    assert 'href="/?sort=-sum.val/acc&amp;cols=sum.val/acc,hp.lr">val/acc</a>' in html
    assert 'href="/?sort=hp.lr&amp;cols=sum.val/acc,hp.lr">lr</a>' in html
    assert row_ids(client.get("/?sort=-sum.val/acc").text) == ["s/a", "s/c", "s/b"]


# ---- numbers ----


def test_one_number_format_per_column(client, sweep):
    html = client.get("/?sort=name&cols=sum.val/acc,hp.lr,sum.steps").text
    assert column_cells(html, 0) == ["0.91235", "0.35000", "0.70000"]  # same decimals: the points line up
    assert column_cells(html, 1) == ["0.001", "0.100", "0.010"]  # hparams as chosen, no extra digits
    assert column_cells(html, 2) == ["1000", "250", "500"]  # integers stay integers


@pytest.mark.parametrize(
    ("values", "column", "shown"),
    [
        ([1.40912, 0.910354, 1.0405], "sum.loss", ["1.4091", "0.9104", "1.0405"]),
        ([1e-6, 5e-6, 0.00190999], "sum.lr", ["1.00e-06", "5.00e-06", "1.91e-03"]),  # wide range: scientific
        ([12.5, 0.02, 3], "sum.x", ["12.50", "0.02", "3.00"]),
        ([0.5, "n/a", None, True, float("nan")], "sum.y", ["0.5", None, None, None, None]),  # not numbers: as is
    ],
)
def test_column_format(values, column, shown):
    number_format = column_format(values, column)
    assert [number_format(value) for value in values] == shown


def test_text_columns_have_no_number_format(client, make_run, scan):
    make_run("t/a", hparams={"optim": "adamw"})
    scan()
    assert ">adamw</td>" in client.get("/?cols=hp.optim").text


# ---- archived ----


def test_archived_runs_are_counted_and_one_click_away(client, sweep):
    patch(client, "s/b", {"archived": True})
    html = client.get("/?filter=lr>=0.01").text
    assert row_ids(html) == ["s/c"]
    assert re.search(
        r'<a class="archived-note" href="/\?filter=lr%3E%3D0.01&amp;archived=1"[^>]*>1 archived hidden</a>', html
    )
    shown = client.get("/?filter=lr>=0.01&archived=1").text
    assert row_ids(shown) == ["s/b", "s/c"]
    assert re.search(r'<tr class="run-row archived" data-run-id="s/b"', shown)
    assert "hide archived" in shown and "archived hidden" not in shown
    assert "archived hidden" not in client.get("/?filter=lr<0.01").text  # none hidden: no note


# ---- column picker and the controls' state ----


def test_column_picker_is_grouped(client, sweep):
    html = client.get("/").text
    picker = html[html.index('class="column-picker"') : html.index("</details>", html.index('class="column-picker"'))]
    groups = re.findall(r"<legend>(\w+) <span", picker)
    assert groups == ["hparams", "metrics"]
    assert 'class="column-find"' in picker and 'data-column="hp.lr"' in picker


def test_the_table_carries_its_query_for_the_controls(client, sweep):
    fragment = client.get("/?tag=x&filter=lr>1&archived=1", headers={"HX-Request": "true"}).text
    state = re.search(r"data-query='([^']*)'", fragment).group(1)
    assert json.loads(state.replace("&#34;", '"')) == {"tag": "x", "filter": "lr>1", "archived": "1"}


# ---- in Chromium ----


def wait_for_stream(page) -> None:
    """Wait until the page's EventSource is open, so no event is missed."""
    page.evaluate(
        "new Promise(resolve => { const el = document.querySelector('[sse-connect]');"
        " const internal = el['htmx-internal-data']; const source = internal && internal.sseEventSource;"
        " if (source && source.readyState === 1) return resolve();"
        " el.addEventListener('htmx:sseOpen', () => resolve(), {once: true}); })"
    )


COUNT_REQUESTS = """(selector) => {
  window.requestsTo = 0; window.swapsOf = 0;
  document.addEventListener('htmx:beforeRequest', e => { if (e.detail.target.matches(selector)) window.requestsTo++; });
  document.addEventListener('htmx:afterSwap', e => { if (e.detail.target.matches(selector)) window.swapsOf++; });
}"""


def live_refresh(page, make_change, element: str = "#runs-table") -> None:
    """Change the runs on disk, scan, and wait until the page has started the live refresh it causes.
    htmx drops every trigger of an element while its `throttle` window is open, so first wait for it
    to close: then the SSE event is sure to be acted on."""
    page.wait_for_function(
        "(selector) => { const data = document.querySelector(selector)['htmx-internal-data']; return !(data && data.throttle); }",
        arg=element,
    )
    before = page.evaluate("window.requestsTo")
    make_change()
    page.wait_for_function(f"() => window.requestsTo > {before}", timeout=10_000)


FOCUSED_RENAME = "() => document.activeElement && document.activeElement.name === 'display_name'"


def open_rename_box(page, server: str, run_id: str):
    """The live table at `/`, its refreshes counted, with the run's rename box open and focused: its row."""
    page.goto(server + "/")
    wait_for_stream(page)
    page.evaluate(COUNT_REQUESTS, "#runs-table")
    row = page.locator(f"tr[data-run-id='{run_id}']")
    row.hover()
    row.locator(".rename-inline summary").click()
    page.wait_for_function(FOCUSED_RENAME)  # the box focuses its field on its toggle event, a task later
    return row


@pytest.mark.browser
def test_rename_box_keeps_text_and_focus_across_live_refreshes(server, make_run, scan):
    make_run("p/a", status="running", ended_at=None, heartbeat_age=1, summary={"loss": 1.0})
    make_run("p/b", created_at=1000)
    scan()
    with chromium_page() as page:
        row = open_rename_box(page, server, "p/a")
        field = row.locator("input[name=display_name]")
        typed = ""
        for step, chunk in enumerate(["warm", "up-", "lr3"]):
            field.press_sequentially(chunk)
            typed += chunk
            live_refresh(page, lambda step=step: (make_run(f"p/new{step}", created_at=2000 + step), scan()))
            page.wait_for_selector("#runs-table[data-held]")
        assert field.input_value() == typed == "warmup-lr3"
        assert page.evaluate("document.activeElement.name") == "display_name"
        assert row.locator(".rename-inline").get_attribute("open") is not None
        assert page.locator("tr[data-run-id='p/new2']").count() == 0  # the table waited for the typing
        field.press("Enter")  # save: the box closes and the held refresh comes in
        page.wait_for_selector("tr[data-run-id='p/new2']", timeout=10_000)
        assert page.locator("tr[data-run-id='p/a'] .run-link").inner_text() == "warmup-lr3"
        assert page.locator("#runs-table[data-held]").count() == 0


@pytest.mark.browser
def test_leaving_an_unchanged_rename_box_lets_refreshes_through(server, make_run, scan):
    make_run("p/a")
    scan()
    with chromium_page() as page:
        open_rename_box(page, server, "p/a")
        page.keyboard.type("draft")
        live_refresh(page, lambda: (make_run("p/later"), scan()))
        page.wait_for_selector("#runs-table[data-held]")
        page.keyboard.press("Escape")  # closes the box and drops the draft
        page.wait_for_selector("tr[data-run-id='p/later']", timeout=10_000)


@pytest.mark.browser
def test_config_filter_keeps_focus_and_every_keystroke(server, make_run, scan):
    hparams = {"optim.lr": 0.1, "optim.name": "adamw", "model.depth": 12}
    make_run("p/r", status="running", ended_at=None, heartbeat_age=1, hparams=hparams, summary={"val/acc": 0.5})
    scan()
    with chromium_page() as page:
        page.goto(server + "/run/p/r?tab=config")
        wait_for_stream(page)
        page.evaluate(COUNT_REQUESTS, "#config-keys")
        box = page.locator("input[name=kf]")
        box.click()
        swaps = 0
        for step, letter in enumerate("optim."):
            box.press_sequentially(letter)
            swaps += 1
            page.wait_for_function(f"() => window.swapsOf >= {swaps}")  # this letter's own swap has landed
            if step == 2:  # and a live refresh in between: the run wrote a new summary
                change = lambda: (make_run("p/r", hparams=hparams, summary={"val/acc": 0.75}), scan())  # noqa: E731
                live_refresh(page, change, "#config-keys")
                swaps += 1
                page.wait_for_function(f"() => window.swapsOf >= {swaps}")
        assert box.input_value() == "optim."
        assert page.evaluate("document.activeElement.name") == "kf"
        page.wait_for_function(
            "() => !document.querySelector('#config-keys').innerText.includes('model.depth')"
            " && document.querySelector('#config-keys').innerText.includes('optim.name')"
        )
        assert "kf=optim." in page.url


@pytest.mark.browser
def test_a_tag_chip_filter_survives_the_next_search(server, make_run, scan):
    make_run("a/one", tags=["sweep:7"], notes="keep me")
    make_run("a/two", tags=["sweep:7"])
    make_run("b/one", notes="keep me")
    scan()
    with chromium_page() as page:
        page.goto(server + "/")
        page.locator("tr[data-run-id='a/two'] a.tag", has_text="sweep:7").click()
        page.wait_for_function("() => document.querySelectorAll('tr.run-row').length === 2")
        assert page.locator("input[name=tag]").input_value() == "sweep:7"  # visible in the form
        assert page.locator(".tag-filter.active").count() == 1
        page.fill("input[name=q]", "keep")
        page.wait_for_function("() => location.search.includes('q=keep')")
        page.wait_for_function("() => document.querySelectorAll('tr.run-row').length === 1")
        assert page.locator("tr.run-row").get_attribute("data-run-id") == "a/one"
        assert "tag=sweep" in page.url
        page.fill("input[name=tag]", "")  # removing it from the form widens the search again
        page.wait_for_function("() => document.querySelectorAll('tr.run-row').length === 2")
        assert "tag=sweep" not in page.url


@pytest.mark.browser
def test_column_picker_finds_and_closes(server, make_run, scan):
    make_run("c/a", hparams={"optim.lr": 0.1, "seed": 1}, summary={"val/acc": 0.5, "train/loss": 1.0})
    scan()
    with chromium_page() as page:
        page.goto(server + "/")
        picker = page.locator(".column-picker")
        picker.locator("summary").click()
        assert page.evaluate("document.activeElement.className") == "column-find"
        page.keyboard.type("loss")
        assert picker.locator("label[data-column]:visible").all_inner_texts() == ["train/loss"]
        assert picker.locator("legend:visible").all_inner_texts() == ["METRICS 2"]
        page.keyboard.press("Escape")
        assert picker.get_attribute("open") is None
        picker.locator("summary").click()
        page.locator("h1, .status-chips").first.click(position={"x": 2, "y": 2})  # a click outside
        assert picker.get_attribute("open") is None


@pytest.mark.browser
@pytest.mark.parametrize("width", [900, 1600])
def test_the_table_fits_the_window_with_one_line_rows(server, make_run, scan, width):
    tags = ["resnet", "baseline", "sweep:4000003", "extra"]
    for index in range(30):
        make_run(
            f"proj-resnet/4000003_{index}/run",
            hparams={"optim.lr": 0.001 * (index + 1)},
            summary={"val/acc": 0.5 + index / 100, "val/loss": 1 + index / 7, "train/loss": 1.2, "lr": 1e-5},
            tags=tags,
            created_at=1000 + index * 3600,
            display_name=f"a rather long display name for run number {index}" if index % 3 == 0 else None,
        )
    scan()
    with chromium_page(width=width) as page:
        page.goto(server + "/?cols=sum.val/acc,sum.val/loss,sum.train/loss,sum.lr,hp.optim.lr")
        page.wait_for_selector("tr.run-row")
        assert page.evaluate("document.documentElement.scrollWidth <= document.documentElement.clientWidth")
        heights = page.evaluate(
            "[...document.querySelectorAll('tr.run-row')].map(row => row.getBoundingClientRect().height)"
        )
        assert max(heights) < 40, heights  # one line each
        scroller = page.locator(".table-scroll")
        scroller.evaluate("box => { box.scrollTop = 400; box.scrollLeft = 400; }")
        header = page.locator("table.runs th.name").bounding_box()
        box = scroller.bounding_box()
        assert abs(header["y"] - box["y"]) < 3  # the header stuck to the top of the scrolled table
        name = page.locator("tr.run-row td.name").nth(12).bounding_box()
        assert name["x"] < box["x"] + 60  # the name column stayed on the left
