"""Malformed requests get a clear 4xx, never a 500, on every route."""

import pytest

ODD = ["", "%00", "..%2F..%2Fetc%2Fpasswd", "a" * 3000, "%ff%fe", "-1", "nan", "1e999", "[]", "{}", "<script>"]
ROUTES = [
    "/?q={v}&sort={v}&cols={v}&page={v}&filter={v}&status={v}",
    "/run/{v}?tab={v}&part={v}&kf={v}&stream={v}&step={v}&si={v}&at={v}",
    "/run/p/r?tab=logs&stream={v}&rank={v}&kind={v}&at={v}",
    "/run/p/r?tab=media&step={v}&si={v}",
    "/run/p/r?tab=metrics&x={v}&smooth={v}&xmin={v}&xmax={v}&mf={v}",
    "/compare?runs={v}&view={v}&group={v}&band={v}&dsort={v}&sx={v}&sy={v}&tag={v}&si={v}",
    "/compare?runs=p/r&view=scatter&sx={v}&sy={v}&sxlog=1",
    "/api/runs?per_page={v}&page={v}&filter={v}&sort={v}",
    "/api/metrics?run={v}&keys={v}",
    "/api/metrics?run=p/r&keys={v}&x={v}&points={v}&smooth={v}&smooth_mode={v}&xmin={v}&xmax={v}&after={v}&format={v}",
    "/api/compare?runs=p/r&key={v}&group={v}&band={v}&points={v}",
    "/api/logs?run={v}",
    "/api/log?run=p/r&stream={v}&offset={v}&before={v}",
    "/api/log/search?run=p/r&stream=run:train.out&q={v}&regex=1&max={v}",
    "/api/log/raw?run=p/r&stream={v}",
    "/api/media?run={v}",
    "/media/file?run=p/r&path={v}",
    "/logs/after?run=p/r&stream=run:train.out&after={v}",
    "/logs/before?run=p/r&stream=run:train.out&before={v}",
    "/logs/search?run=p/r&stream=run:train.out&q={v}&regex=1",
    "/events?run={v}",
]


@pytest.fixture
def odd_tree(make_run, scan):
    run_dir = make_run("p/r", hparams={"lr": 0.1}, summary={"acc": 0.5}, metrics="step,loss\n0,1\n1,nan\n")
    (run_dir / "train.out").write_text("hello\n")
    (run_dir / "media.jsonl").write_text('{"step": 1, "path": "media/x.png"}\n')
    scan()


@pytest.mark.parametrize("route", ROUTES)
def test_odd_parameters_never_cause_a_server_error(client, odd_tree, route, app):
    app.config["SPTWEB"] = app.config["SPTWEB"].__class__(**{**app.config["SPTWEB"].__dict__, "sse_lifetime": 0.0})
    for value in ODD:
        response = client.get(route.format(v=value))
        assert response.status_code < 500, (route.format(v=value)[:200], response.status_code, response.text[:300])
        response.close()


@pytest.mark.parametrize("body", [b"", b"\xff\xfe", b"[" * 10000, b'{"notes": "\\ud800"}', b"null"])
def test_odd_edit_bodies_never_cause_a_server_error(client, odd_tree, body):
    response = client.patch("/api/meta?run=p/r", data=body, content_type="application/json")
    assert 400 <= response.status_code < 500, response.text
    form = client.post("/edit?run=p/r", data=body, content_type="application/x-www-form-urlencoded")
    assert form.status_code < 500
