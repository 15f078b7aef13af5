"""Keyboard shortcuts in Chromium: / j k Enter x g t ?, never while typing; visible focus; ARIA tabs."""

import pytest
from browser import chromium_page

pytestmark = pytest.mark.browser


@pytest.fixture
def three_runs(make_run, scan):
    for index, name in enumerate(("k/first", "k/second", "k/third")):
        make_run(name, created_at=3000 - index, hparams={"optim.lr": 0.1 * (index + 1)}, tags=["sweep:3"])
    scan()


def cursor(page) -> str | None:
    return page.evaluate(
        "() => { const row = document.querySelector('tr.run-row.cursor'); return row && row.dataset.runId; }"
    )


def active(page) -> str:
    return page.evaluate("() => document.activeElement.name || document.activeElement.tagName")


def test_slash_focuses_search_and_typing_is_not_a_shortcut(server, three_runs):
    with chromium_page() as page:
        page.goto(server + "/")
        assert active(page) == "BODY"  # nothing grabs focus: the keys are shortcuts until you press /
        page.keyboard.press("/")
        assert active(page) == "q"
        page.keyboard.type("jk?")  # typed into the box, not taken as shortcuts
        assert page.locator("input[name=q]").input_value() == "jk?"
        assert cursor(page) is None
        assert page.locator("dialog#shortcuts[open]").count() == 0
        page.keyboard.press("Escape")  # leaves the field; the keys are shortcuts again
        assert active(page) == "BODY"
        page.keyboard.press("?")
        assert page.locator("dialog#shortcuts[open]").count() == 1


def test_j_and_k_move_a_visible_cursor_and_enter_opens_the_run(server, three_runs):
    with chromium_page() as page:
        page.goto(server + "/")
        page.keyboard.press("j")
        assert cursor(page) == "k/first"
        page.keyboard.press("j")
        page.keyboard.press("j")
        page.keyboard.press("j")  # stops at the last row
        assert cursor(page) == "k/third"
        page.keyboard.press("k")
        assert cursor(page) == "k/second"
        row = page.locator("tr.run-row.cursor td.name")
        assert row.evaluate("cell => getComputedStyle(cell).backgroundColor") != page.locator(
            "tr.run-row:not(.cursor) td.name"
        ).first.evaluate("cell => getComputedStyle(cell).backgroundColor")  # the cursor is visible
        page.keyboard.press("x")
        assert page.locator("#compare-selected").inner_text() == "Compare 1 selected"
        page.keyboard.press("Enter")
        page.wait_for_url("**/run/k/second")


def test_the_cursor_stays_on_its_run_through_a_live_refresh(server, three_runs, make_run, scan):
    with chromium_page() as page:
        page.goto(server + "/")
        page.keyboard.press("j")
        page.keyboard.press("j")
        assert cursor(page) == "k/second"
        make_run("k/newest", created_at=9000)  # a new row above it
        scan()
        page.evaluate("() => htmx.trigger(document.body, 'runs-edited')")
        page.wait_for_selector("tr[data-run-id='k/newest']")
        assert cursor(page) == "k/second"
        page.keyboard.press("k")
        assert cursor(page) == "k/first"


def test_question_mark_shows_the_shortcuts_and_escape_closes_them(server, three_runs):
    with chromium_page() as page:
        page.goto(server + "/run/k/first")
        page.keyboard.press("?")
        dialog = page.locator("dialog#shortcuts")
        assert dialog.is_visible()
        text = dialog.inner_text()
        assert "Focus the search box" in text and "Go to the run table" in text
        page.keyboard.press("j")  # the overlay is modal: no shortcut runs behind it
        page.keyboard.press("Escape")
        assert not dialog.is_visible()


def test_g_then_t_goes_back_to_the_last_table_view(server, three_runs):
    with chromium_page() as page:
        page.goto(server + "/?tag=sweep:3&sort=name")
        page.locator("tr.run-row .run-link").first.click()
        page.wait_for_url("**/run/**")
        page.keyboard.press("g")
        page.keyboard.press("t")
        page.wait_for_url("**/?tag=sweep:3&sort=name")
        page.wait_for_selector("tr.run-row")


def test_t_alone_does_nothing(server, three_runs):
    with chromium_page() as page:
        page.goto(server + "/run/k/first")
        page.keyboard.press("t")
        page.keyboard.press("j")
        assert "/run/k/first" in page.url


def test_run_tabs_are_aria_tabs_and_arrows_move_between_them(server, three_runs):
    with chromium_page() as page:
        page.goto(server + "/run/k/first?tab=config")
        assert page.locator("nav.tabs[role=tablist]").count() == 1
        tabs = page.locator("[role=tab]")
        assert tabs.count() == 4
        selected = page.locator("[role=tab][aria-selected=true]")
        assert selected.count() == 1 and selected.inner_text() == "Config"
        assert page.locator("[role=tabpanel]").get_attribute("aria-labelledby") == "tab-config"
        selected.focus()
        page.keyboard.press("ArrowLeft")
        assert page.evaluate("document.activeElement.id") == "tab-logs"
        page.keyboard.press("ArrowRight")
        page.keyboard.press("ArrowRight")
        assert page.evaluate("document.activeElement.id") == "tab-metrics"  # wraps around


def test_keyboard_focus_is_always_visible(server, three_runs):
    with chromium_page() as page:
        page.goto(server + "/")
        page.keyboard.press("Tab")
        outline = page.evaluate("() => getComputedStyle(document.activeElement).outlineStyle")
        assert outline not in ("", "none")


def test_slash_focuses_the_config_filter_on_the_run_page(server, three_runs):
    with chromium_page() as page:
        page.goto(server + "/run/k/first?tab=config")
        page.keyboard.press("/")
        assert active(page) == "kf"
