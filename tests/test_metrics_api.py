"""GET /api/metrics: columnar JSON, downsampling, smoothing, ranges, errors."""

import orjson
import pytest

CSV = "epoch,step,train/loss,val/acc\n" + "".join(
    f"{step // 100},{step},{2.0 - step / 1000},\n"
    + (f"{step // 100},{step},,{step / 1000}\n" if step % 100 == 99 else "")
    for step in range(1000)
)


@pytest.fixture
def metrics_run(make_run, scan):
    make_run("p/r", status="running", ended_at=None, heartbeat_age=1, metrics=CSV)
    make_run("p/empty")
    scan()
    return "p/r"


def get(client, query: str):
    return client.get("/api/metrics?" + query)


def test_columnar_series_with_counts(client, metrics_run):
    response = get(client, "run=p/r&keys=train/loss,val/acc")
    assert response.status_code == 200
    body = response.json
    assert set(body["series"]) == {"train/loss", "val/acc"}
    loss = body["series"]["train/loss"]
    assert loss["raw_count"] == 1000 and len(loss["x"]) == len(loss["y"]) == 1000
    assert loss["downsampled"] is False and "min" not in loss
    assert loss["last"] == pytest.approx(1.001) and loss["min_value"] == pytest.approx(1.001)
    assert body["series"]["val/acc"]["x"][:2] == [99.0, 199.0]
    assert body["keys"] == ["train/loss", "val/acc"]


def test_downsampled_series_carry_bucket_min_and_max(client, metrics_run):
    loss = get(client, "run=p/r&keys=train/loss&points=10").json["series"]["train/loss"]
    assert loss["downsampled"] is True and loss["count"] <= 40
    assert len(loss["min"]) == len(loss["max"]) == len(loss["x"])
    assert loss["x"][-1] == 999.0  # the last point is always kept


def test_epoch_axis(client, metrics_run):
    acc = get(client, "run=p/r&keys=val/acc&x=epoch").json["series"]["val/acc"]
    assert acc["x"][:3] == [0.0, 1.0, 2.0]


def test_range_and_after(client, metrics_run):
    window = get(client, "run=p/r&keys=train/loss&xmin=100&xmax=109").json["series"]["train/loss"]
    assert window["x"] == [float(step) for step in range(100, 110)]
    assert window["raw_count"] == 1000  # counts describe the whole series
    newer = get(client, "run=p/r&keys=train/loss&after=997").json["series"]["train/loss"]
    assert newer["x"] == [998.0, 999.0]


def test_smoothing_returns_a_smooth_column(client, metrics_run):
    loss = get(client, "run=p/r&keys=train/loss&smooth=0.9").json["series"]["train/loss"]
    assert len(loss["smooth"]) == len(loss["y"])
    assert loss["smooth"][0] == pytest.approx(loss["y"][0])
    assert "smooth" not in get(client, "run=p/r&keys=train/loss").json["series"]["train/loss"]


def test_nan_and_inf_become_null_never_bare_tokens(client, make_run, scan):
    make_run("nan", metrics="step,loss\n0,1.0\n1,nan\n2,inf\n3,0.5\n")
    scan()
    raw = get(client, "run=nan&smooth=0.5").data
    assert b"NaN" not in raw and b"Infinity" not in raw
    loss = orjson.loads(raw)["series"]["loss"]
    assert loss["y"] == [1.0, None, None, 0.5] and loss["smooth"][1] is None and loss["nonfinite"] == 2


def test_live_append_is_seen_by_the_next_request(client, metrics_run, runs_root):
    get(client, "run=p/r&keys=train/loss")
    with open(runs_root / "p/r/metrics.csv", "a") as handle:
        handle.write("10,1000,0.5,\n")
    newer = get(client, "run=p/r&keys=train/loss&after=999").json["series"]["train/loss"]
    assert newer["x"] == [1000.0] and newer["y"] == [0.5]


def test_run_without_metrics_has_no_keys(client, metrics_run):
    body = get(client, "run=p/empty").json
    assert body["keys"] == [] and body["series"] == {}


def test_csv_download(client, metrics_run):
    response = get(client, "run=p/r&keys=val/acc&format=csv")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    lines = response.text.strip().splitlines()
    assert lines[0] == "metric,step,value" and lines[1].startswith("val/acc,99.0,0.09")
    assert "attachment" in response.headers["Content-Disposition"]


@pytest.mark.parametrize(
    "query, status, message",
    [
        ("keys=train/loss", 400, "missing query argument 'run'"),
        ("run=nope", 404, "No run"),
        ("run=p/r&keys=nope", 404, "no metric 'nope'"),
        ("run=p/r&x=time", 400, "x must be one of"),
        ("run=p/r&points=abc", 400, "points must be a whole number"),
        ("run=p/r&points=5", 400, "points must be between"),
        ("run=p/r&smooth=1.5", 400, "smooth must be"),
        ("run=p/r&smooth=nan", 400, "smooth must be"),
        ("run=p/r&xmin=10&xmax=5", 400, "must not exceed"),
        ("run=p/r&format=xml", 400, "format must be one of"),
    ],
)
def test_bad_requests_get_a_clear_json_error(client, metrics_run, query, status, message):
    response = get(client, query)
    assert response.status_code == status
    assert message in response.json["error"]


def test_epoch_axis_without_epoch_column_is_400(client, make_run, scan):
    make_run("noepoch", metrics="step,loss\n0,1\n")
    scan()
    response = get(client, "run=noepoch&x=epoch")
    assert response.status_code == 400 and "no epoch" in response.json["error"]


def test_a_metric_named_in_the_header_but_never_logged_is_an_empty_series(client, make_run, scan):
    make_run("sparse", metrics="step,loss,never\n0,1,\n1,0.5,\n")
    scan()
    assert 'data-key="never"' in client.get("/run/sparse").text
    body = client.get("/api/metrics?run=sparse&keys=never").json
    assert body["series"]["never"]["x"] == [] and body["series"]["never"]["raw_count"] == 0


def test_any_number_of_metrics_and_any_name(client, make_run, scan):
    """409 metrics, names with commas, spaces, % and #: the default request returns all; repeated keys= carry any name."""
    names = [f"lr-AdamW/pg{index}" for index in range(409)] + ["val/acc,top1", "loss %", "a#b", "δ loss"]
    header = "step," + ",".join(f'"{name}"' if "," in name else name for name in names)
    row = "0," + ",".join(str(index / 1000) for index in range(len(names)))
    make_run("wide", metrics=header + "\n" + row + "\n")
    scan()
    everything = client.get("/api/metrics?run=wide")
    assert everything.status_code == 200 and len(everything.json["series"]) == len(names)
    from urllib.parse import urlencode

    query = urlencode([("run", "wide"), *(("keys", name) for name in names[-4:])])
    odd = client.get(f"/api/metrics?{query}").json["series"]
    assert set(odd) == set(names[-4:]) and odd["val/acc,top1"]["y"] == [0.409]
    assert client.get("/api/metrics?" + urlencode({"run": "wide", "keys": "val/acc,top1"})).json["series"].keys() == {
        "val/acc,top1"
    }
    too_many = client.get("/api/metrics?" + urlencode([("run", "wide"), *(("keys", name) for name in names[:201])]))
    assert too_many.status_code == 400
    page = client.get("/run/wide?tab=metrics").text
    assert page.count('class="metric-group" open') == 2  # val and other open; the 409 lr panels wait


def test_bom_final_line_and_a_header_in_the_middle(client, make_run, scan, runs_root):
    make_run("bom", metrics="\ufeffepoch,step,loss\n0,0,1.0\n0,1,0.9")  # BOM, no final newline, a finished run
    make_run("joined", metrics="step,loss,acc\n0,1.0,0.1\nstep,loss,acc\n1,0.9,0.2\nstep,acc,loss\n2,0.3,0.8\n")
    scan()
    bom = client.get("/api/metrics?run=bom&x=epoch").json
    assert bom["keys"] == ["loss"] and bom["series"]["loss"]["y"] == [1.0, 0.9]  # epoch found, last line read
    joined = client.get("/api/metrics?run=joined").json
    assert joined["series"]["loss"]["y"] == [1.0, 0.9, 0.8] and joined["series"]["acc"]["y"] == [0.1, 0.2, 0.3]
    assert (
        "repeated header line skipped" in joined["warning"] and "new header line after data row 2" in joined["warning"]
    )


def test_the_export_and_the_hover_values_are_the_files_decimals(client, make_run, scan):
    make_run("exact", metrics="step,lr,loss\n0,0.001,1.1421055793762207\n1,0.0003,0.30610001087\n")
    scan()
    export = client.get("/api/metrics?run=exact&format=csv").text.splitlines()
    assert "lr,0.0,0.001" in export and "lr,1.0,0.0003" in export
    assert "loss,0.0,1.1421055793762207" in export and "loss,1.0,0.30610001087" in export
    series = client.get("/api/metrics?run=exact&keys=loss").json["series"]["loss"]
    assert series["y"] == [1.1421055793762207, 0.30610001087] and series["last"] == 0.30610001087


def test_a_name_with_a_comma_works_in_compare_too(client, make_run, scan):
    for name in ("a", "b"):
        make_run(f"c/{name}", metrics='step,"val/acc,top1"\n0,0.5\n1,0.75\n')
    scan()
    from urllib.parse import urlencode

    body = client.get("/api/compare?" + urlencode({"runs": "c/a,c/b", "key": "val/acc,top1"})).json
    assert [run["run_id"] for run in body["runs"]] == ["c/a", "c/b"] and body["runs"][0]["last"] == 0.75


def test_a_run_with_100000_columns_gives_a_small_page_quickly(client, make_run, scan):
    import time

    names = [f"m{index // 1000}/k{index}" for index in range(100_000)]
    make_run("huge", metrics="step," + ",".join(names) + "\n")
    scan()
    started = time.monotonic()
    page = client.get("/run/huge?tab=metrics")
    assert page.status_code == 200 and page.text.count('class="panel"') < 200
    assert len(page.text) < 3_000_000  # the keys, not 100,000 panels
    too_many = client.get("/api/metrics?run=huge&" + "&".join(f"keys={name}" for name in names[:201]))
    assert too_many.status_code == 400
    assert time.monotonic() - started < 10
