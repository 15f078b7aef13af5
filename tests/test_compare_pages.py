"""The compare page and /api/compare: selection in the URL, views, overlay and group payloads."""

import re

import pytest

from sptweb.query.colors import PALETTE_LIGHT
from sptweb.query.selection import MAX_COMPARE_RUNS


def loss_csv(offset: float, steps: int = 50, every: int = 1) -> str:
    return "step,train/loss,val/acc\n" + "".join(
        f"{step},{offset + 1 / (step + 1)},\n" + (f"{step},,{offset}\n" if step % 10 == 9 else "")
        for step in range(0, steps, every)
    )


@pytest.fixture
def sweep(make_run, scan):
    make_run("sw/a", hparams={"lr": 0.1, "seed": 1}, summary={"acc": 0.5}, tags=["sweep:9"], metrics=loss_csv(0.0))
    make_run(
        "sw/b", hparams={"lr": 0.1, "seed": 2}, summary={"acc": 0.6}, tags=["sweep:9"], metrics=loss_csv(1.0, every=2)
    )
    make_run("sw/c", hparams={"lr": 0.01, "seed": 1}, summary={"acc": 0.7}, tags=["sweep:9"], metrics=loss_csv(2.0))
    make_run("other", hparams={"lr": 1.0}, metrics="step,other/metric\n0,1\n")
    scan()


def test_compare_page_lists_runs_and_metric_panels(client, sweep):
    html = client.get("/compare?runs=sw/a,sw/b").text
    assert "Comparing 2 runs" in html
    assert 'data-key="train/loss"' in html and 'data-key="val/acc"' in html
    assert "other/metric" not in html


def test_compare_by_table_query_and_sweep_tag(client, sweep):
    html = client.get("/compare?tag=sweep:9").text
    assert "Comparing 3 runs" in html
    assert "Comparing 1 run" in client.get("/compare?q=other").text


def test_view_links_keep_the_selection_and_options(client, sweep):
    html = client.get("/compare?runs=sw/a,sw/b&smooth=0.5&group=-seed").text
    assert 'href="/compare?view=diff&amp;runs=sw/a,sw/b"' in html
    assert 'value="0.5"' in html and 'value="-seed"' in html  # chart options restored from the URL


def test_missing_runs_are_reported_not_fatal(client, sweep):
    html = client.get("/compare?runs=sw/a,gone/run").text
    assert "Comparing 1 run" in html and "gone/run" in html


def test_too_many_runs_is_a_400(client, make_run, scan):
    ids = ",".join(f"r{i}" for i in range(MAX_COMPARE_RUNS + 1))
    for i in range(MAX_COMPARE_RUNS + 1):
        make_run(f"r{i}")
    scan()
    assert client.get("/compare?runs=" + ids).status_code == 400
    response = client.get("/api/compare?key=x&runs=" + ids)
    assert response.status_code == 400 and "at most" in response.json["error"]


def test_table_links_to_compare(client, sweep):
    html = client.get("/?tag=sweep:9").text
    assert 'href="/compare?tag=sweep:9"' in html  # one click from the sweep tag
    assert "compare all 3" in html and 'class="pick-run"' in html


def test_diff_view_highlights_differing_columns(client, sweep):
    html = client.get("/compare?runs=sw/a,sw/b,sw/c&view=diff").text
    assert re.search(r'<th class="num differs[^"]*">\s*<a[^>]*>hp.lr</a>', html)
    assert "hp.seed" in html and "sum.acc" in html
    all_columns = client.get("/compare?runs=sw/a,sw/b&view=diff&same=1").text
    assert "show identical" not in all_columns and "hide identical" in all_columns


def test_scatter_view_draws_a_linked_point_per_run(client, sweep):
    html = client.get("/compare?runs=sw/a,sw/b,sw/c&view=scatter&sx=hp.lr&sy=sum.acc&sxlog=1").text
    assert html.count('class="point"') == 3
    assert 'href="/run/sw/a"' in html and "1e-1" in html


def test_api_overlay_payload(client, sweep):
    body = client.get("/api/compare?runs=sw/a,sw/b,other&key=train/loss&points=20").json
    assert [run["run_id"] for run in body["runs"]] == ["sw/a", "sw/b"] and body["missing"] == ["other"]
    assert len(body["x"]) == 40 and all(len(run["y"]) == 40 for run in body["runs"])
    # palette slots by place in the comparison: "other" (no train/loss) keeps slot 2, so legends agree across panels
    assert [run["color_index"] for run in body["runs"]] == [0, 1]
    assert [run["color"] for run in body["runs"]] == list(PALETTE_LIGHT[:2])
    assert client.get("/api/compare?runs=other,sw/a&key=train/loss").json["runs"][0]["color_index"] == 1


def test_api_grouped_payload(client, sweep):
    body = client.get("/api/compare?tag=sweep:9&key=train/loss&points=10&group=-seed").json
    assert body["group_keys"] == ["lr"]
    sizes = {group["label"]: group["size"] for group in body["groups"]}
    assert sizes == {"lr=0.1": 2, "lr=0.01": 1}
    group = body["groups"][0]
    assert len(group["mean"]) == len(group["lo"]) == len(group["hi"]) == len(body["x"]) == 10
    minmax = client.get("/api/compare?tag=sweep:9&key=train/loss&points=10&group=lr&band=minmax").json
    assert minmax["band"] == "minmax"


def test_api_compare_errors(client, sweep):
    assert client.get("/api/compare?runs=sw/a").status_code == 400  # no key
    assert client.get("/api/compare?runs=nope&key=k").status_code == 404
    assert client.get("/api/compare?runs=sw/a&key=train/loss&band=iqr").status_code == 400


def test_scatter_log_axis_ticks_at_powers_of_ten_and_each_point_has_a_hover_card(client, make_run, scan):
    for index, lr in enumerate([1e-4, 3e-4, 1e-3, 1e-2]):
        make_run(f"lr/{index}", hparams={"lr": lr}, summary={"acc": 0.5 + index / 10})
    scan()
    ids = ",".join(f"lr/{index}" for index in range(4))
    html = client.get(f"/compare?runs={ids}&view=scatter&sx=hp.lr&sy=sum.acc&sxlog=1").text
    labels = re.findall(r'class="tick" text-anchor="middle">([^<]+)<', html)
    assert labels == ["1e-4", "1e-3", "1e-2"]
    assert html.count('class="minor"') >= 8  # 2…9 x 10^k between them
    assert html.count('class="card"') == 4 and "lr = 0.0003" in html and "lr/1" in html
