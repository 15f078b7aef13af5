"""Hostile and broken run files: each gives a clean error on its own run, never a 5xx, and the neighbours stay listed."""

from __future__ import annotations

import json

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sptweb.edits.overlay import OverlayError, parse_overlay
from sptweb.media.events import parse_line
from sptweb.scan.sidecar import SidecarError, parse_sidecar

HOSTILE_SIDECARS = {
    "huge-created": b'{"status": "running", "created_at": 1' + b"0" * 400 + b"}",
    "5001-digit-int": b'{"status": "completed", "summary": {"x": 1' + b"0" * 5000 + b"}}",
    "deep-hparams": b'{"status": "completed", "hparams": ' + b'{"a": ' * 1000 + b"1" + b"}" * 1000 + b"}",
    "far-times": b'{"status": "completed", "created_at": 1e18, "ended_at": -1e18, "updated_at": 1.7e308}',
    "huge-tag": b'{"status": "completed", "tags": [1' + b"0" * 5000 + b"]}",
    "brackets": b"[" * 100_000,
}


@pytest.mark.parametrize("name", sorted(HOSTILE_SIDECARS))
def test_a_hostile_sidecar_shows_its_run_and_hides_no_other(name, make_run, client, scan):
    make_run("healthy/a", summary={"val/acc": 0.5}, hparams={"lr": 1e300})
    make_run("healthy/b", summary={"val/acc": 1e308})
    make_run(f"bad/{name}", raw=HOSTILE_SIDECARS[name])
    scan()
    listed = {run["run_id"]: run for run in client.get("/api/runs").json["runs"]}
    assert {"healthy/a", "healthy/b", f"bad/{name}"} <= listed.keys()
    for url in (
        "/",
        "/?sort=-sum.val/acc",
        "/?group=hp.lr",
        f"/run/bad/{name}",
        "/compare?runs=healthy/a,healthy/b&view=scatter",
    ):
        assert client.get(url).status_code == 200, url


def test_a_hostile_overlay_disables_edits_on_its_run_only(make_run, client, scan, runs_root):
    make_run("ok")
    run_dir = make_run("bad")
    (run_dir / "sptweb-overlay.json").write_bytes(b"[" * 100_000)
    scan()
    assert {run["run_id"] for run in client.get("/api/runs").json["runs"]} == {"ok", "bad"}
    assert client.patch("/api/meta?run=bad", json={"notes": "x"}).status_code == 409
    assert client.patch("/api/meta?run=ok", json={"notes": "x"}).status_code == 200


JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=True) | st.text(),
    lambda children: st.lists(children) | st.dictionaries(st.text(), children),
    max_leaves=30,
)


@settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.dictionaries(
        st.sampled_from(["status", "created_at", "hparams", "summary", "tags", "notes", "run_id", "x"]), JSON_VALUES
    )
)
def test_any_json_sidecar_parses_or_fails_cleanly(document):
    try:
        meta = parse_sidecar(json.dumps(document).encode())
    except SidecarError:
        return
    assert isinstance(meta.status, str) and isinstance(meta.hparams, dict) and isinstance(meta.tags, tuple)


@settings(max_examples=300)
@given(st.binary(max_size=300))
def test_any_bytes_as_sidecar_overlay_or_media_line_are_clean(raw):
    try:
        parse_sidecar(raw)
    except SidecarError:
        pass
    try:
        parse_overlay(raw)
    except OverlayError:
        pass
    event = parse_line(raw, 0)
    assert event is None or isinstance(event.path, str)


def test_special_files_named_like_run_files_are_never_opened(make_run, client, scan, runs_root):
    import os

    make_run("healthy")
    fifo = runs_root / "fifo-sidecar"
    fifo.mkdir()
    os.mkfifo(fifo / "sidecar.json")
    zero = runs_root / "zero-sidecar"
    zero.mkdir()
    os.symlink("/dev/zero", zero / "sidecar.json")
    overlay = make_run("fifo-overlay")
    os.mkfifo(overlay / "sptweb-overlay.json")
    scan()  # returns: nothing blocks on a FIFO, nothing reads /dev/zero
    runs = {run["run_id"]: run for run in client.get("/api/runs").json["runs"]}
    assert {"healthy", "fifo-sidecar", "zero-sidecar", "fifo-overlay"} <= runs.keys()
    assert (
        "not a regular file" in runs["fifo-sidecar"]["error"] and "not a regular file" in runs["zero-sidecar"]["error"]
    )
    assert "not a regular file" in runs["fifo-overlay"]["overlay_error"]


def test_a_log_symlink_out_of_the_run_is_not_followed(make_run, client, scan):
    import os

    run_dir = make_run("p/r")
    (run_dir / "train.out").write_text("mine\n")
    os.symlink("/etc/passwd", run_dir / "secrets.out")
    scan()
    streams = [stream["id"] for stream in client.get("/api/logs?run=p/r").json["streams"]]
    assert streams == ["run:train.out"]
    assert client.get("/api/log?run=p/r&stream=run:secrets.out").status_code == 404


def test_run_folders_named_with_raw_bytes_or_a_newline_are_listed_and_reachable(make_run, client, scan, runs_root):
    import os
    from urllib.parse import quote

    make_run("ok")
    for name in (b"bad\xff", b"new\nline"):
        folder = os.path.join(bytes(runs_root), name)
        os.makedirs(folder)
        with open(os.path.join(folder, b"sidecar.json"), "w") as handle:
            handle.write('{"status": "completed"}')
        with open(os.path.join(folder, b"metrics.csv"), "w") as handle:
            handle.write("step,loss\n0,1\n")
    scan()
    ids = {run["run_id"] for run in client.get("/api/runs").json["runs"]}
    assert ids == {"ok", "bad\\xff", "new\\x0aline"}
    assert client.get("/").status_code == 200
    for run_id in ("bad\\xff", "new\\x0aline"):
        assert client.get("/run/" + quote(run_id)).status_code == 200
        assert client.get("/api/metrics?run=" + quote(run_id)).json["series"]["loss"]["y"] == [1.0]
        assert client.patch("/api/meta?run=" + quote(run_id), json={"notes": "reachable"}).status_code == 200


def test_csv_download_of_non_ascii_names(make_run, client, scan):
    from urllib.parse import quote

    make_run("экспер/запуск", metrics="step,точность\n0,0.5\n")
    scan()
    response = client.get("/api/metrics?run=" + quote("экспер/запуск") + "&format=csv&keys=" + quote("точность"))
    assert response.status_code == 200 and "точность,0.0,0.5" in response.text
    disposition = response.headers["Content-Disposition"]
    assert "filename*=UTF-8''" in disposition and disposition.isascii()


def test_media_files_cannot_run_script(make_run, client, scan):
    run_dir = make_run("m/r")
    (run_dir / "media").mkdir()
    (run_dir / "media" / "evil.html").write_text("<script>fetch('/api/runs')</script>")
    (run_dir / "media" / "pic.png").write_bytes(b"\x89PNG\r\n\x1a\n")
    scan()
    evil = client.get("/media/file?run=m/r&path=media/evil.html")
    assert evil.status_code == 200 and evil.mimetype == "application/octet-stream"
    assert (
        evil.headers["Content-Disposition"].startswith("attachment")
        and "sandbox" in evil.headers["Content-Security-Policy"]
    )
    picture = client.get("/media/file?run=m/r&path=media/pic.png")
    assert picture.mimetype == "image/png" and "attachment" not in picture.headers.get("Content-Disposition", "")
    assert "sandbox" in picture.headers["Content-Security-Policy"]


def test_two_viewers_editing_one_run_lose_no_tag(make_run, runs_root):
    import os
    import threading

    from sptweb.edits import OverlayStore

    run_dir = str(make_run("shared"))
    stale = os.path.join(run_dir, ".sptweb-overlay.json.dead.tmp")
    open(stale, "w").close()
    os.utime(stale, (0, 0))
    viewers = [OverlayStore(), OverlayStore()]  # two processes' stores: only the file lock is shared

    def tag(viewer: OverlayStore, names: list[str]) -> None:
        for name in names:
            viewer.edit(run_dir, {"add_tags": [name]}, ())

    threads = [
        threading.Thread(target=tag, args=(viewer, [f"v{index}-{n}" for n in range(40)]))
        for index, viewer in enumerate(viewers)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    tags = set(OverlayStore().read(run_dir).tags_added)
    assert tags == {f"v{index}-{n}" for index in range(2) for n in range(40)}
    assert not os.path.exists(stale)


def test_log_searches_are_capped_and_time_boxed(make_run, client, scan, monkeypatch):
    import sptweb.logs.search as search_module

    run_dir = make_run("p/r")
    (run_dir / "train.out").write_text("needle\n" * 1000)
    scan()
    url = "/api/log/search?run=p/r&stream=run:train.out&q=needle"
    open_searches = [client.get(url, buffered=False) for _ in range(4)]  # four streams, none read to the end
    busy = client.get(url)
    assert busy.status_code == 429 and "searches are running" in busy.json["error"]
    for response in open_searches:
        response.close()  # the client went away: its slot frees at once
    monkeypatch.setattr(search_module, "BUDGET_S", 0.0)
    lines = client.get(url).text.strip().splitlines()
    assert '"stopped":"stopped after 0 s"' in lines[-1]


def test_a_catastrophic_regex_stops_at_the_budget(make_run, client, scan, monkeypatch):
    import time

    import sptweb.logs.search as search_module

    run_dir = make_run("p/r")
    (run_dir / "train.out").write_text("a" * 40 + "!\n")
    scan()
    monkeypatch.setattr(search_module, "BUDGET_S", 0.1)
    started = time.monotonic()
    lines = client.get("/api/log/search?run=p/r&stream=run:train.out&regex=1&q=(a%7Caa)%2B%24").text.splitlines()
    assert time.monotonic() - started < 2 and "too slow" in lines[-1]
    bad = client.get("/api/log/search?run=p/r&stream=run:train.out&regex=1&q=(unclosed")
    assert bad.status_code == 400 and "bad regular expression" in bad.json["error"]


def test_a_huge_filter_expression_is_a_quick_clear_error(make_run, client, scan):
    import time
    from urllib.parse import quote

    make_run("p/r")
    scan()
    started = time.monotonic()
    response = client.get("/api/runs?filter=" + quote("a" * 16_000 + "=" + "b" * 100))
    assert response.status_code == 400 and "at most 4,096" in response.json["error"]
    assert client.get("/?filter=" + quote("x" * 16_000)).status_code == 200  # the page shows the error
    assert time.monotonic() - started < 1


def _corpus(root):
    """Malformed run folders, one per case: name -> the folder to create it in."""
    import os

    cases = {}

    def case(name, files=None, special=None):
        folder = root / "bad" / name
        folder.mkdir(parents=True)
        for file_name, data in (files or {}).items():
            (folder / file_name).write_bytes(data)
        for file_name, kind in (special or {}).items():
            if kind == "fifo":
                os.mkfifo(folder / file_name)
            else:
                os.symlink(kind, folder / file_name)
        cases[name] = folder

    sidecar = b'{"status": "running"}'
    for name, raw in HOSTILE_SIDECARS.items():
        case(name, {"sidecar.json": raw, "metrics.csv": b"step,loss\n0,1\n"})
    case("fifo-metrics", {"sidecar.json": sidecar}, {"metrics.csv": "fifo", "media.jsonl": "fifo"})
    case("zero-metrics", {"sidecar.json": sidecar}, {"metrics.csv": "/dev/zero"})
    case("bad-csv", {"sidecar.json": sidecar, "metrics.csv": b"\xff\xfe,,\n\x00\x00\n" + b"," * 100_000 + b"\n"})
    case(
        "bad-media",
        {"sidecar.json": sidecar, "media.jsonl": b"[" * 10_000 + b"\n" + b'{"path": "../../../etc/passwd"}\n'},
    )
    case("bad-overlay", {"sidecar.json": sidecar, "sptweb-overlay.json": b'{"tags_added": [' + b"1" * 5000 + b"]}"})
    case("bad-yaml", {"metrics.csv": b"step,loss\n0,1\n", "hparams.yaml": b"a: &a [*a, *a]\n" + b"- " * 5000})
    case("bad-events", {"events.out.tfevents.1.x": b"\xff" * 64})
    return cases


def _tree_state(root):
    import os

    return {
        path: os.lstat(path).st_mtime_ns
        for path in root.rglob("*")
        if not path.name.startswith((".sptweb-overlay", "sptweb-overlay")) and not path.is_dir()
    }


def test_the_malformed_corpus_on_every_route(make_run, make_app, runs_root):
    from urllib.parse import quote

    from sptweb.scan import scanner_of

    make_run("healthy/a", metrics="step,loss\n0,1\n", hparams={"lr": 0.1})
    make_run("healthy/b", metrics="step,loss\n0,2\n", hparams={"lr": 0.2})
    cases = _corpus(runs_root)
    app = make_app(sse_lifetime=0.0)
    scanner_of(app).scan_once()
    client = app.test_client()
    before = _tree_state(runs_root)
    listed = {run["run_id"] for run in client.get("/api/runs?per_page=1000").json["runs"]}
    assert {"healthy/a", "healthy/b"} <= listed
    for name in cases:
        run_id = quote(f"bad/{name}")
        routes = [
            f"/run/{run_id}",
            *(f"/run/{run_id}?tab={tab}" for tab in ("metrics", "media", "logs", "config")),
            f"/run/{run_id}?part=header",
            f"/api/metrics?run={run_id}",
            f"/api/metrics?run={run_id}&format=csv",
            f"/api/media?run={run_id}",
            f"/api/logs?run={run_id}",
            f"/compare?runs={run_id},healthy/a",
            f"/compare?runs={run_id},healthy/a&view=diff",
            f"/compare?runs={run_id},healthy/a&view=scatter",
            f"/compare?runs={run_id},healthy/a&view=media",
            f"/api/compare?runs={run_id},healthy/a&key=loss",
            f"/events?run={run_id}",
            "/?sort=-created&group=hp.lr",
        ]
        for route in routes:
            response = client.get(route)
            assert response.status_code < 500, (name, route, response.status_code, response.text[:200])
            response.close()
        edit = client.patch(f"/api/meta?run={run_id}", json={"notes": "ok"})
        assert edit.status_code < 500, (name, edit.text[:200])
    changed = {path for path, mtime in _tree_state(runs_root).items() if before.get(path) != mtime}
    assert not changed, changed  # nothing but the viewer's overlay (and its lock) was written


def test_thousands_of_tags_keep_pages_small(make_run, client, scan):
    make_run("tagged", tags=[f"t{index}" for index in range(3000)])
    scan()
    table, page = client.get("/").text, client.get("/run/tagged").text
    assert "+2997" in table and len(table) < 200_000  # three tags a row, then a count
    assert "+2800 more" in page and len(page) < 400_000
    assert len(client.get("/api/runs").json["runs"][0]["tags"]) == 3000  # the API keeps them all


def test_an_output_dir_outside_the_runs_root_is_not_followed(make_run, client, scan, tmp_path):
    elsewhere = tmp_path / "someone-elses"
    elsewhere.mkdir()
    (elsewhere / "private.log").write_text("secret\n")
    make_run("p/r", hparams={"output_dir": str(elsewhere)})
    scan()
    assert client.get("/api/logs?run=p/r").json["streams"] == []
