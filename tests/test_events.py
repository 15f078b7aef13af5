"""Server-Sent Events: headers, keepalives, one event per relevant change, the stream cap."""

import json

import pytest
from conftest import write_sidecar


def open_stream(client, url="/events"):
    response = client.get(url, buffered=False)
    return response, iter(response.response)


def test_stream_headers_and_greeting(client, scan):
    response, chunks = open_stream(client)
    assert response.status_code == 200
    assert response.mimetype == "text/event-stream"
    assert response.headers["Cache-Control"] == "no-cache"
    assert b"retry:" in next(chunks)
    response.close()


def test_new_run_sends_runs_changed(client, make_run, scan):
    scan()
    response, chunks = open_stream(client)
    next(chunks)
    make_run("new")
    scan()
    assert next(chunks).startswith(b"event: runs-changed\n")
    response.close()


def test_run_stream_gets_only_its_own_events(client, make_run, runs_root, scan):
    make_run("mine", status="running", ended_at=None, heartbeat_age=1, metrics="step,loss\n0,1\n")
    make_run("other")
    scan()
    response, chunks = open_stream(client, "/events?run=mine")
    next(chunks)
    make_run("other", status="failed")
    scan()
    with open(runs_root / "mine" / "metrics.csv", "a") as handle:
        handle.write("1,0.5\n")
    scan()
    assert next(chunks).startswith(b"event: run-files\n")  # the change to "other" was not sent
    make_run("mine", status="completed")
    scan()
    assert next(chunks).startswith(b"event: run-changed\n")
    response.close()


def test_keepalive_comment_when_idle(make_app):
    app = make_app(sse_keepalive=0.01)
    response, chunks = open_stream(app.test_client())
    next(chunks)
    assert next(chunks) == b": keepalive\n\n"
    response.close()


def test_stream_ends_at_its_lifetime(make_app):
    app = make_app(sse_lifetime=0.0)
    response, chunks = open_stream(app.test_client())
    next(chunks)
    with pytest.raises(StopIteration):
        next(chunks)
    response.close()


def test_streams_beyond_the_cap_get_204(make_app):
    app = make_app(max_sse_streams=1)
    client = app.test_client()
    first, chunks = open_stream(client)
    next(chunks)
    assert client.get("/events").status_code == 204
    first.close()
    second, _ = open_stream(client)
    assert second.status_code == 200  # the slot was released on close
    second.close()


def spt_flush(run_dir, step: int, summary: dict) -> None:
    """What spt's RegistryLogger does on every log_metrics + save: append a row, rewrite the sidecar."""
    with open(run_dir / "metrics.csv", "a") as handle:
        handle.write(f"{step},{summary['train/loss']}\n")
    sidecar = json.loads((run_dir / "sidecar.json").read_text())
    write_sidecar(run_dir, {**sidecar, "summary": summary, "updated_at": sidecar["updated_at"] + 1})


def test_growth_sends_run_files_even_when_the_sidecar_changed_in_the_same_poll(client, make_run, scan):
    run_dir = make_run("spt", status="running", ended_at=None, heartbeat_age=1, metrics="step,train/loss\n0,2.0\n")
    scan()
    response, chunks = open_stream(client, "/events?run=spt")
    next(chunks)
    spt_flush(run_dir, 1, {"train/loss": 1.5})
    scan()
    events = next(chunks) + next(chunks)  # the first churn is told too: run-changed, then run-files
    assert b"event: run-changed\n" in events and b"event: run-files\n" in events
    response.close()


def test_summary_churn_of_training_runs_reaches_tables_at_most_every_few_seconds(
    client, make_run, scan, scanner, monkeypatch
):
    runs = [
        make_run(f"spt{index}", status="running", ended_at=None, heartbeat_age=1, metrics="step,train/loss\n0,2.0\n")
        for index in range(3)
    ]
    scan()
    first = [spt_flush(run_dir, 1, {"train/loss": 1.9}) for run_dir in runs]
    assert first and scan().changed  # the first churn is told at once
    for step in range(2, 12):  # ten more flushes of all three runs, one poll each
        for run_dir in runs:
            spt_flush(run_dir, step, {"train/loss": 2.0 / step})
        change = scan()
        assert not change.table_changed and change.touched == {"spt0", "spt1", "spt2"}
    monkeypatch.setattr(scanner, "_churn_announced_at", 0.0)  # the coalescing window has passed
    make_run("other")  # a real change goes out at once, with the pending churn
    change = scan()
    assert change.added == {"other"} and change.changed == {"spt0", "spt1", "spt2"}
    assert scanner.snapshot.get("spt2").meta.summary == {"train/loss": 2.0 / 11}  # the snapshot was never behind


def test_a_status_change_is_never_held_back(client, make_run, scan):
    run_dir = make_run("spt", status="running", ended_at=None, heartbeat_age=1, metrics="step,train/loss\n0,2.0\n")
    scan()
    spt_flush(run_dir, 1, {"train/loss": 1.0})
    scan()
    make_run("spt", status="failed", metrics=None)
    assert scan().changed == {"spt"}
