"""Server-Sent Events: headers, keepalives, one event per relevant change, the stream cap."""

import pytest


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
