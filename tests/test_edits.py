"""Edits live in the viewer's overlay: never in sidecar.json, never lost, validated on one path."""

import json
import os
import threading

import pytest

from sptweb.edits import OVERLAY_FILE
from sptweb.scan import scanner_of


def patch(client, run_id, payload, raw=None):
    body = raw if raw is not None else json.dumps(payload)
    return client.patch(f"/api/meta?run={run_id}", data=body, content_type="application/json")


@pytest.fixture
def live_run(make_run, scan):
    run_dir = make_run(
        "p/r", status="running", ended_at=None, heartbeat_age=1, tags=["sweep:7", "vit"], notes="trainer note"
    )
    scan()
    return run_dir


def test_edit_goes_to_the_overlay_and_never_into_the_sidecar(client, live_run):
    sidecar_before = (live_run / "sidecar.json").read_bytes()
    response = patch(
        client, "p/r", {"notes": "lr too high?", "display_name": "baseline", "add_tags": ["keep"], "archived": True}
    )
    assert response.status_code == 200
    body = response.json
    assert body["notes"] == "lr too high?" and body["name"] == "baseline" and body["archived"] is True
    assert body["tags"] == ["sweep:7", "vit", "keep"]
    assert (live_run / "sidecar.json").read_bytes() == sidecar_before
    assert json.loads((live_run / OVERLAY_FILE).read_text())["notes"] == "lr too high?"
    assert not [name for name in os.listdir(live_run) if name.endswith(".tmp")]


def test_edit_survives_the_trainer_rewriting_its_sidecar_and_a_requeue(client, live_run, make_run, scan, scanner):
    patch(client, "p/r", {"notes": "mine", "remove_tags": ["vit"], "add_tags": ["look"]})
    # The trainer flushes from memory (tmp + rename), then is requeued with a new tag.
    make_run("p/r", status="running", ended_at=None, heartbeat_age=1, tags=["sweep:7", "vit"], notes="trainer note")
    scan()
    make_run(
        "p/r",
        status="running",
        ended_at=None,
        heartbeat_age=1,
        tags=["sweep:7", "vit", "requeued"],
        notes="after requeue",
    )
    scan()
    run = scanner.snapshot.get("p/r")
    assert run.notes == "mine"
    assert run.tags == ("sweep:7", "requeued", "look")  # the trainer's new tag shows; the user's removal holds


def test_two_concurrent_edits_of_different_fields_both_survive(client, live_run, scanner):
    start = threading.Barrier(2)
    results = []

    def edit(payload):
        start.wait()
        results.append(patch(client, "p/r", payload).status_code)

    threads = [
        threading.Thread(target=edit, args=(payload,))
        for payload in ({"notes": "from tab A"}, {"add_tags": ["from-tab-b"]})
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert results == [200, 200]
    run = scanner.snapshot.get("p/r")
    assert run.notes == "from tab A" and "from-tab-b" in run.tags


def test_empty_name_resets_to_the_default(client, live_run, scanner):
    patch(client, "p/r", {"display_name": "  fancy  "})
    assert scanner.snapshot.get("p/r").name == "fancy"
    patch(client, "p/r", {"display_name": ""})
    assert scanner.snapshot.get("p/r").name == "p/r"


@pytest.mark.parametrize(
    "payload, raw, status, message",
    [
        (None, b"{not json", 400, "not valid JSON"),
        ([1, 2], None, 400, "must be a JSON object"),
        ({}, None, 400, "nothing to change"),
        ({"status": "completed"}, None, 422, "unknown field 'status'"),
        ({"notes": 5}, None, 422, "notes must be a string"),
        ({"archived": "yes"}, None, 422, "archived must be true or false"),
        ({"tags": "a,b"}, None, 422, "tags must be a list"),
        ({"add_tags": ["ok", 3]}, None, 422, "every tag must be a string"),
        ({"add_tags": ["has space"]}, None, 422, "may only hold"),
        ({"add_tags": ["<script>"]}, None, 422, "may only hold"),
        ({"add_tags": ["x" * 65]}, None, 422, "at most 64"),
        ({"add_tags": [f"t{i}" for i in range(101)]}, None, 422, "at most 100"),
        ({"display_name": "two\nlines"}, None, 422, "single line"),
        ({"display_name": "n" * 201}, None, 422, "at most 200"),
        ({"notes": "x" * 100_001}, None, 422, "at most 100,000"),
        ({"notes": "x" * 300_000}, None, 413, "over 256 KiB"),
    ],
)
def test_validation_matrix_writes_nothing(client, live_run, payload, raw, status, message):
    response = patch(client, "p/r", payload, raw)
    assert response.status_code == status
    assert message in response.json["error"]
    assert not (live_run / OVERLAY_FILE).exists()


def test_unknown_run_is_404(client, live_run):
    assert patch(client, "nope", {"notes": "x"}).status_code == 404


def test_unwritable_run_directory_gives_a_clear_message_and_writes_nothing(client, live_run, monkeypatch):
    import tempfile

    def refuse(*args, **kwargs):
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(tempfile, "mkstemp", refuse)
    response = patch(client, "p/r", {"notes": "x"})
    assert response.status_code == 403 and "Permission denied" in response.json["error"]
    assert not (live_run / OVERLAY_FILE).exists()


@pytest.mark.skipif(os.geteuid() == 0, reason="root ignores directory permissions")
def test_read_only_directory_for_real(client, live_run):
    os.chmod(live_run, 0o555)
    try:
        response = patch(client, "p/r", {"notes": "x"})
        assert response.status_code == 403
    finally:
        os.chmod(live_run, 0o755)


def test_corrupt_overlay_is_never_overwritten(client, live_run, scan):
    (live_run / OVERLAY_FILE).write_text("{broken")
    scan()
    response = patch(client, "p/r", {"notes": "x"})
    assert response.status_code == 409 and OVERLAY_FILE in response.json["error"]
    assert (live_run / OVERLAY_FILE).read_text() == "{broken"


def test_archived_runs_leave_the_table_until_asked_for(client, live_run, make_run, scan):
    make_run("other")
    scan()
    patch(client, "p/r", {"archived": True})
    assert 'data-run-id="p/r"' not in client.get("/").text
    assert 'data-run-id="p/r"' in client.get("/?archived=1").text
    assert "archived" in client.get("/run/p/r").text


def test_page_forms_use_the_same_validation(client, live_run, scanner):
    html = client.post("/edit?run=p/r", data={"add_tags": "bad tag!"}).text
    assert "Not saved" in html and "may only hold" in html
    html = client.post("/edit?run=p/r", data={"notes": "from the form"}).text
    assert "from the form" in html and scanner.snapshot.get("p/r").notes == "from the form"
    assert client.post("/edit?run=p/r&view=row", data={"display_name": "row name"}).status_code == 204
    assert scanner.snapshot.get("p/r").name == "row name"


def test_edits_are_announced_to_other_tabs(client, live_run):
    response = client.get("/events", buffered=False)
    chunks = iter(response.response)
    next(chunks)
    patch(client, "p/r", {"notes": "seen elsewhere"})
    assert next(chunks).startswith(b"event: runs-changed")
    response.close()


def test_read_only_mode_hides_controls_and_refuses_edits(make_app, make_run):
    make_run("p/r")
    app = make_app(read_only=True)
    scanner_of(app).scan_once()
    client = app.test_client()
    assert client.patch("/api/meta?run=p/r", json={"notes": "x"}).status_code == 403
    assert client.post("/edit?run=p/r", data={"notes": "x"}).status_code == 403
    html = client.get("/run/p/r").text
    assert "notes-form" not in html and "rename" not in html
