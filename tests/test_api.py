"""The JSON API: shapes documented in the README, paging, errors as JSON."""

import orjson


def test_runs_shape_and_paging(client, make_run, scan):
    for index in range(5):
        make_run(f"r{index}", hparams={"i": index}, summary={"loss": float("nan") if index == 0 else 1.0})
    scan()
    response = client.get("/api/runs?per_page=2&page=3&sort=hp.i")
    assert response.status_code == 200 and response.mimetype == "application/json"
    body = response.json
    assert body["total"] == 5 and body["pages"] == 3 and [run["run_id"] for run in body["runs"]] == ["r4"]
    expected = {
        "run_id",
        "name",
        "status",
        "stale",
        "created_at",
        "ended_at",
        "tags",
        "notes",
        "archived",
        "hparams",
        "summary",
    }
    assert expected <= set(body["runs"][0])


def test_nan_never_leaves_as_a_bare_token(client, make_run, scan):
    make_run("nan", raw=b'{"status": "running", "summary": {"loss": NaN, "gn": Infinity}}')
    scan()
    raw = client.get("/api/runs").data
    assert b"NaN" not in raw and b"Infinity" not in raw
    assert orjson.loads(raw)["runs"][0]["summary"] == {"loss": None, "gn": None}


def test_same_query_args_as_the_table(client, make_run, scan):
    make_run("a", status="failed")
    make_run("b")
    scan()
    assert [run["run_id"] for run in client.get("/api/runs?status=failed").json["runs"]] == ["a"]


def test_bad_parameters_are_400_with_a_message(client, scan):
    scan()
    for url in ("/api/runs?per_page=abc", "/api/runs?page=0", "/api/runs?per_page=100000", "/api/runs?filter=oops"):
        response = client.get(url)
        assert response.status_code == 400, url
        assert response.json["error"]


def test_unknown_api_path_is_a_json_404(client):
    response = client.get("/api/nope")
    assert response.status_code == 404 and "error" in response.json


def test_scan_progress(client, make_run, scan):
    assert client.get("/api/scan").json["phase"] == "starting"
    make_run("a")
    scan()
    body = client.get("/api/scan").json
    assert body["phase"] == "ready" and body["runs"] == 1 and body["done"] == body["total"] >= 1
