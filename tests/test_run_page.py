"""The run page: header, tabs, config tab, odd ids, 404s."""

from urllib.parse import quote

import pytest


@pytest.mark.parametrize("run_id", ["with space/run", "hash#tag", "pct%20x", "a/logs", "b/metrics", "ünï/cödé"])
def test_odd_run_ids_have_working_pages(client, make_run, scan, run_id):
    make_run(run_id, display_name=f"name of {run_id}")
    scan()
    response = client.get("/run/" + quote(run_id))
    assert response.status_code == 200
    assert f"name of {run_id}" in response.text
    listing = client.get("/").text
    assert 'href="/run/' + quote(run_id).replace("%", "%") in listing or quote(run_id) in listing


def test_url_for_round_trips_odd_ids(app, make_run, scan, client):
    make_run("we#ird %id/logs")
    scan()
    with app.test_request_context():
        from flask import url_for

        url = url_for("runs.run_page", run_id="we#ird %id/logs", tab="config")
    assert client.get(url).status_code == 200


def test_unknown_run_is_a_404_page(client, scan):
    scan()
    response = client.get("/run/does/not/exist")
    assert response.status_code == 404
    assert "does/not/exist" in response.text and "<html" in response.text


def test_header_shows_the_facts(client, make_run, scan):
    make_run("p/r", status="failed", checkpoint_path="/ckpt/last.ckpt", tags=["sweep:9"], notes="diverged at 3k")
    scan()
    html = client.get("/run/p/r").text.replace("<wbr>", "")  # ids and paths may wrap at their separators
    for fact in ("failed", "/ckpt/last.ckpt", "sweep:9", "diverged at 3k", "p/r"):
        assert fact in html


def test_header_fragment_for_live_badge(client, make_run, scan):
    make_run("p/r", status="running", ended_at=None, heartbeat_age=1)
    scan()
    fragment = client.get("/run/p/r?part=header")
    assert "<html" not in fragment.text and 'id="run-header"' in fragment.text and "running" in fragment.text


def test_config_tab_lists_and_filters_keys(client, make_run, scan):
    make_run("p/r", hparams={"optim.lr": 0.1, "model.depth": 12}, summary={"val/acc": 0.5})
    scan()
    html = client.get("/run/p/r?tab=config").text
    assert "optim.lr" in html and "model.depth" in html and "val/acc" in html
    fragment = client.get("/run/p/r?tab=config&part=config&kf=optim", headers={"HX-Request": "true"})
    assert "optim.lr" in fragment.text and "model.depth" not in fragment.text
    assert fragment.headers["HX-Replace-Url"] == "/run/p/r?tab=config&kf=optim"


def test_unknown_tab_falls_back_to_metrics(client, make_run, scan):
    make_run("p/r")
    scan()
    assert client.get("/run/p/r?tab=bogus").status_code == 200


def test_broken_run_page_shows_the_error(client, make_run, scan):
    make_run("bad", raw=b'{"status": "runn')
    scan()
    html = client.get("/run/bad").text
    assert "not valid JSON" in html


def test_long_ids_and_paths_wrap_between_their_parts_not_mid_word(client, make_run, scan):
    make_run("a_very/long_run-name/run.v2")
    scan()
    page = client.get("/run/a_very/long_run-name/run.v2").text
    assert "<code>a_<wbr>very/<wbr>long_<wbr>run-<wbr>name/<wbr>run.<wbr>v2</code>" in page
    from pathlib import Path

    css = "".join(path.read_text() for path in Path("static").glob("*.css"))
    assert "break-all" not in css  # a browser then breaks every id mid-word
