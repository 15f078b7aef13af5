"""The run table at `/`: search, filters, sort, columns and paging, all from the query string."""

import re

import pytest
from conftest import row_ids


@pytest.fixture
def sweep(make_run, scan):
    make_run(
        "s/lr-small", hparams={"optim.lr": 0.001, "seed": 1}, summary={"val/acc": 0.9}, tags=["sweep:7"], created_at=100
    )
    make_run(
        "s/lr-big",
        hparams={"optim.lr": 0.1, "seed": 1},
        summary={"val/acc": 0.35},
        tags=["sweep:7"],
        created_at=300,
        status="failed",
    )
    make_run(
        "s/lr-mid",
        hparams={"optim.lr": 0.01, "seed": 2},
        summary={"val/acc": 0.7},
        created_at=200,
        notes="promising warmup",
    )
    make_run("x/no-metrics", status="running", ended_at=None, created_at=400, display_name="Debug run")
    scan()


def test_full_page_and_fragment_share_a_url(client, sweep):
    page = client.get("/")
    fragment = client.get("/", headers={"HX-Request": "true"})
    assert page.status_code == fragment.status_code == 200
    assert "<html" in page.text and 'id="table-controls"' in page.text
    assert "<html" not in fragment.text and fragment.text.lstrip().startswith("{#") is False
    assert 'id="runs-table"' in fragment.text
    assert page.headers["Vary"] == "HX-Request"
    history = client.get("/", headers={"HX-Request": "true", "HX-History-Restore-Request": "true"})
    assert "<html" in history.text


def test_default_sort_is_newest_first(client, sweep):
    assert row_ids(client.get("/").text) == ["x/no-metrics", "s/lr-big", "s/lr-mid", "s/lr-small"]


def test_sort_numbers_numerically_missing_last_in_both_directions(client, sweep):
    ascending = row_ids(client.get("/?sort=hp.optim.lr").text)
    descending = row_ids(client.get("/?sort=-hp.optim.lr").text)
    assert ascending == ["s/lr-small", "s/lr-mid", "s/lr-big", "x/no-metrics"]
    assert descending == ["s/lr-big", "s/lr-mid", "s/lr-small", "x/no-metrics"]


def test_sort_by_name_uses_display_name(client, sweep):
    assert row_ids(client.get("/?sort=name").text)[0] == "x/no-metrics"  # "Debug run" sorts first


def test_search_covers_notes_hparams_tags_and_names(client, sweep):
    assert row_ids(client.get("/?q=warmup").text) == ["s/lr-mid"]
    assert row_ids(client.get("/?q=optim.lr=0.1").text) == ["s/lr-big"]
    assert row_ids(client.get("/?q=debug").text) == ["x/no-metrics"]
    assert set(row_ids(client.get("/?q=sweep:7").text)) == {"s/lr-small", "s/lr-big"}


def test_status_and_tag_filters(client, sweep):
    assert row_ids(client.get("/?status=failed").text) == ["s/lr-big"]
    assert row_ids(client.get("/?status=running").text) == ["x/no-metrics"]
    assert set(row_ids(client.get("/?tag=sweep:7").text)) == {"s/lr-small", "s/lr-big"}


def test_status_counts_ignore_the_status_filter(client, sweep):
    html = client.get("/?status=failed").text
    assert re.search(r"completed <b>2</b>", html) and re.search(r"failed <b>1</b>", html)


def test_filter_expressions(client, sweep):
    assert row_ids(client.get("/?filter=optim.lr>=0.01; sum.val/acc>0.5").text) == ["s/lr-mid"]
    assert row_ids(client.get("/?filter=status=running").text) == ["x/no-metrics"]
    html = client.get("/?filter=nonsense").text
    assert "cannot read filter clause" in html


def test_chosen_columns_are_shown(client, sweep):
    html = client.get("/?cols=hp.seed,sum.val/acc").text
    assert ">seed</a>" in html and ">val/acc</a>" in html
    assert ">0.35<" in html


def test_default_columns_show_common_summary_metrics(client, sweep):
    assert ">val/acc</a>" in client.get("/").text


def test_paging_never_sends_more_than_a_page(client, make_run, scan, app):
    for index in range(250):
        make_run(f"many/{index:03d}", created_at=index)
    scan()
    first = client.get("/?sort=id")
    assert len(row_ids(first.text)) == app.config["SPTWEB"].page_size
    last = client.get("/?sort=id&page=3")
    assert row_ids(last.text) == [f"many/{index:03d}" for index in range(200, 250)]
    assert "page 3 of 3" in last.text


def test_links_keep_the_rest_of_the_query(client, sweep):
    html = client.get("/?q=lr&sort=hp.seed&cols=hp.seed").text
    assert 'href="/?q=lr&amp;sort=-hp.seed&amp;cols=hp.seed"' in html  # flipping the sort keeps the search


def test_archived_runs_hidden_by_default(client, sweep, monkeypatch, scanner):
    import dataclasses

    from sptweb.edits import Overlay

    runs = dict(scanner.snapshot.runs)
    runs["s/lr-mid"] = dataclasses.replace(runs["s/lr-mid"], overlay=Overlay(archived=True))
    monkeypatch.setattr(scanner, "snapshot", dataclasses.replace(scanner.snapshot, runs=runs))
    assert "s/lr-mid" not in row_ids(client.get("/").text)
    assert "s/lr-mid" in row_ids(client.get("/?archived=1").text)


def test_broken_sidecar_row_shows_its_error(client, make_run, scan):
    make_run("bad", raw=b"[]")
    make_run("ok")
    scan()
    html = client.get("/").text
    assert set(row_ids(html)) == {"bad", "ok"}
    assert "not an object" in html


def test_scan_progress_shows_during_first_walk(client, app):
    html = client.get("/").text  # the app's scanner has not walked yet
    assert "Scanning" in html and "<progress" in html


def test_group_rows_by_sweep_with_counts_and_means(client, make_run, scan):
    make_run("a", tags=["sweep:1"], summary={"acc": 0.5}, created_at=10)
    make_run("b", tags=["sweep:1"], summary={"acc": 0.7}, created_at=20)
    make_run("c", tags=["sweep:2"], summary={"acc": 0.9}, created_at=30)
    make_run("d", summary={"acc": 0.1}, created_at=40)
    scan()
    html = client.get("/?group=sweep&cols=sum.acc").text
    assert row_ids(html) == ["b", "a", "c", "d"]  # grouped, newest first inside each group, no-sweep last
    headers = re.findall(r'<tr class="group-row">(.*?)</tr>', html, re.S)
    assert len(headers) == 3
    assert "= 1" in headers[0] and "2 runs" in headers[0] and "μ 0.6" in headers[0]
    assert 'href="/compare?tag=sweep:1"' in headers[0]


def test_group_by_hparam_links_to_a_compare_of_the_group(client, sweep):
    html = client.get("/?group=hp.seed").text
    assert "hp.seed</b> = 1" in html and "2 runs" in html
    assert "/compare?filter=hp.seed%3D1" in html
    compared = client.get("/compare?filter=hp.seed%3D1").text
    assert "Comparing 2 runs" in compared


def test_an_empty_root_says_what_a_run_looks_like(client, runs_root, scan):
    (runs_root / "notes").mkdir()
    scan()
    html = client.get("/").text
    assert "No runs under" in html and "2 folders looked at" in html
    assert "sidecar.json" in html and "tiny/version_0/metrics.csv" in html and "events.out.tfevents" in html


def test_an_archive_edit_updates_the_rows_and_the_hidden_count(client, sweep):
    """The table's views are carried from poll to poll: an edit's rescan re-places the one run."""
    client.get("/?q=lr")  # the views exist before the edit
    assert client.post("/edit?run=s/lr-mid&view=row", data={"archived": "1"}).status_code == 204
    html = client.get("/?q=lr").text
    assert row_ids(html) == ["s/lr-big", "s/lr-small"] and "1 archived hidden" in html
    assert re.search(r"completed <b>1</b>", html)  # the chips count what is shown
    assert row_ids(client.get("/?q=lr&archived=1").text) == ["s/lr-big", "s/lr-mid", "s/lr-small"]
    client.post("/edit?run=s/lr-mid&view=row", data={"archived": "0"})
    html = client.get("/?q=lr").text
    assert row_ids(html) == ["s/lr-big", "s/lr-mid", "s/lr-small"] and "archived hidden" not in html


def test_a_new_run_takes_its_place_in_every_sort_direction(client, sweep, make_run, scan):
    for sort in ("-sum.val/acc", "sum.val/acc", "-created"):
        client.get(f"/?sort={sort}")
    make_run("s/lr-new", summary={"val/acc": 0.8}, created_at=250)
    scan()
    by_acc = ["s/lr-small", "s/lr-new", "s/lr-mid", "s/lr-big", "x/no-metrics"]
    assert row_ids(client.get("/?sort=-sum.val/acc").text) == by_acc
    assert row_ids(client.get("/?sort=sum.val/acc").text)[:2] == ["s/lr-big", "s/lr-mid"]
    assert row_ids(client.get("/?sort=-created").text)[:3] == ["x/no-metrics", "s/lr-big", "s/lr-new"]
    assert client.get("/api/runs").json["total"] == 5


def test_the_scanner_thread_builds_the_default_table_view_before_any_request(
    app, make_run, scan, scanner, caplog, monkeypatch
):
    """A restart at 100,000 runs would otherwise make its first `/` build the sorted view (~1 s)."""
    from sptweb.query import live_views

    for index in range(5):
        make_run(f"w/{index}")
    scan()
    assert set(scanner.warmers) == {"table"}
    scanner._warm()  # what the scanner thread does when it starts
    built = []
    real = live_views.SortedView.build.__func__
    monkeypatch.setattr(live_views.SortedView, "build", classmethod(lambda cls, *a: built.append(1) or real(cls, *a)))
    assert app.test_client().get("/").status_code == 200
    assert built == []  # the first request found the view ready
    scanner.warmers["broken"] = lambda snapshot: 1 / 0
    scanner._warm()  # a failing warmer is logged, never raised: polling goes on
    assert "warming broken failed" in caplog.text
