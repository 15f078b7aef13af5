"""The hardened waitress (connections.py): accepting under load, request deadlines, per-address caps,
the owner's connections kept, waitress's own error pages with our headers, and a prompt shutdown.

The event loop is stepped by hand (one `poll` turn at a time), so nothing here sleeps.
"""

from __future__ import annotations

import os
import select
import signal
import socket
import subprocess
import sys
import textwrap
import time

import pytest
from waitress import wasyncore

from sptweb.connections import AUTHENTICATED, REQUEST_DEADLINE, GuardedServer
from sptweb.security import HEADERS
from sptweb.server import listen


def tiny_app(environ, start_response):
    """Trusts requests that say they are the owner; /crash fails the way an app bug would."""
    if environ["PATH_INFO"] == "/crash":
        raise RuntimeError("bug")
    if environ.get("HTTP_X_OWNER"):
        environ[AUTHENTICATED] = True
    start_response("200 OK", [("Content-Type", "text/plain"), ("Content-Length", "2")])
    return [b"ok"]


@pytest.fixture
def make_server():
    servers = []

    def make(app=tiny_app, limit=100, per_address=50) -> GuardedServer:
        server = GuardedServer(
            app,
            listen("127.0.0.1", 0),
            limit=limit,
            per_address=per_address,
            security_headers=HEADERS,
            threads=2,
            ident="sptweb",
            channel_timeout=20,
            asyncore_use_poll=True,
        )
        servers.append(server)
        return server

    yield make
    while CLIENTS:
        CLIENTS.pop().close()
    for server in servers:
        server.task_dispatcher.shutdown()
        wasyncore.close_all(server._map)


def step(server: GuardedServer, turns: int = 1) -> None:
    for _ in range(turns):
        wasyncore.loop(timeout=0.02, map=server._map, use_poll=True, count=1)


CLIENTS: list[socket.socket] = []  # closed after each test


def connect(server: GuardedServer) -> socket.socket:
    sock = socket.create_connection(server.socket.getsockname()[:2])
    sock.settimeout(5)
    CLIENTS.append(sock)
    return sock


def exchange(server: GuardedServer, sock: socket.socket, request: bytes) -> bytes:
    """Send `request` and step the loop until its whole response has arrived."""
    sock.sendall(request)
    response = b""
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        step(server)
        while select.select([sock], [], [], 0)[0]:
            chunk = sock.recv(65536)
            if not chunk:
                return response
            response += chunk
        head, _, body = response.partition(b"\r\n\r\n")
        length = [line for line in head.split(b"\r\n") if line.lower().startswith(b"content-length:")]
        if length and len(body) >= int(length[0].split(b":")[1]):
            return response
    raise AssertionError(f"no whole response: {response[:200]!r}")


def closed_by_server(server: GuardedServer, sock: socket.socket) -> bool:
    step(server, 2)
    sock.setblocking(False)
    try:
        return sock.recv(1) == b""
    except BlockingIOError:
        return False
    except ConnectionResetError:
        return True
    finally:
        sock.setblocking(True)


GET = b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"


def test_one_loop_turn_accepts_every_waiting_connection(make_server):
    """waitress accepts one connection per turn; under load a turn takes ~100 ms, so a visitor waited seconds."""
    server = make_server()
    clients = [connect(server) for _ in range(40)]
    step(server)
    assert len(server.active_channels) == len(clients) == 40


def test_a_request_must_arrive_whole_within_the_deadline(make_server):
    server = make_server()
    silent, dribbling, served = connect(server), connect(server), connect(server)
    dribbling.sendall(b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nX-a: b\r\n")  # never ends its headers
    assert exchange(server, served, GET).startswith(b"HTTP/1.1 200")
    step(server)
    later = time.time() + REQUEST_DEADLINE + 1
    server.maintenance(later)
    assert closed_by_server(server, silent) and closed_by_server(server, dribbling)
    assert not closed_by_server(server, served)  # between requests, a keep-alive connection may idle
    assert exchange(server, served, GET).startswith(b"HTTP/1.1 200")
    server.maintenance(time.time() + 21)  # channel_timeout
    assert closed_by_server(server, served)


def test_a_flood_from_one_address_closes_its_own_oldest_connections(make_server):
    server = make_server(limit=30, per_address=10)
    flood = [connect(server) for _ in range(25)]
    step(server, 3)
    assert server.guard.open == 10  # never more than per_address untrusted ones from 127.0.0.1
    assert all(closed_by_server(server, sock) for sock in flood[:15])
    assert not any(closed_by_server(server, sock) for sock in flood[15:])  # the newest are kept


def test_the_owners_connections_are_never_closed_to_make_room(make_server):
    server = make_server(limit=12, per_address=12)
    owner = connect(server)
    assert exchange(server, owner, b"GET / HTTP/1.1\r\nHost: x\r\nX-Owner: 1\r\n\r\n").startswith(b"HTTP/1.1 200")
    flood = [connect(server) for _ in range(40)]
    step(server, 3)
    assert server.guard.open == 12
    assert not closed_by_server(server, owner)
    assert exchange(server, owner, GET).endswith(b"ok")
    newcomer = connect(server)  # a new tab of the owner still gets in: an untrusted flood socket makes room
    assert exchange(server, newcomer, GET).endswith(b"ok") and len(flood) == 40


def test_the_app_marks_authenticated_requests_for_the_server(make_app):
    """security.py sets the flag only for requests that proved the token (the bar for being kept)."""
    app = make_app(auth=True, token="t0ken")
    seen = []

    @app.after_request
    def record(response):
        from flask import request

        seen.append(request.environ.get(AUTHENTICATED))
        return response

    client = app.test_client()
    client.get("/api/scan")
    client.get("/api/scan", headers={"Authorization": "Bearer t0ken"})
    assert seen == [None, True]


@pytest.mark.parametrize(
    "request_bytes, status",
    [
        (b"GET / HTTP/1.1\r\nHost: x\r\nX-Big: " + b"a" * 300_000 + b"\r\n\r\n", b"431"),
        (b"GET /crash HTTP/1.1\r\nHost: x\r\n\r\n", b"500"),
    ],
)
def test_waitress_error_pages_carry_the_security_headers(make_server, request_bytes, status):
    server = make_server()
    response = exchange(server, connect(server), request_bytes)
    head = response.split(b"\r\n\r\n")[0].decode()
    assert head.split()[1] == status.decode()
    for name, value in HEADERS:
        assert f"{name}: {value}" in head


STUCK_SERVER = textwrap.dedent(
    """
    import sys, threading
    import flask
    from sptweb import cli

    dispatch = flask.Flask.dispatch_request

    def stuck_or_dispatch(self):
        if flask.request.path == "/stuck":  # a request that never ends (a read of a hung NFS file)
            print("stuck", flush=True)
            threading.Event().wait()
        return dispatch(self)

    flask.Flask.dispatch_request = stuck_or_dispatch
    cli.main(["serve", sys.argv[1], "--port", sys.argv[2], "--no-auth"])
    """
)


def test_shutdown_takes_under_two_seconds_with_a_stuck_request(runs_root, tmp_path):
    probe = socket.socket()
    probe.bind(("127.0.0.1", 0))
    port = probe.getsockname()[1]
    probe.close()
    env = {**os.environ, "SPTWEB_INDEX_CACHE_DIR": str(tmp_path / "cache")}
    server = subprocess.Popen(
        [sys.executable, "-c", STUCK_SERVER, str(runs_root), str(port)],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
        env=env,
    )
    try:
        assert "serving" in server.stdout.readline()
        client = socket.create_connection(("127.0.0.1", port))
        client.sendall(b"GET /stuck HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
        assert server.stdout.readline().strip() == "stuck"
        asked = time.monotonic()
        server.send_signal(signal.SIGTERM)
        assert server.wait(timeout=10) == 0
        assert time.monotonic() - asked < 2
        client.close()
    finally:
        server.kill()
        server.wait()
        server.stdout.close()
