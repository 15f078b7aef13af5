"""Serve the app with waitress: bind, announce, shut down cleanly on SIGTERM and SIGINT."""

from __future__ import annotations

import resource
import signal
import socket
import sys

from .config import StartupError
from .connections import GuardedServer
from .scan import Scanner, scanner_of
from .security import HEADERS

__all__ = ["StartupError", "listen", "serve"]

CONNECTION_LIMIT = 2000  # sockets at once; each is a file descriptor (see _descriptors_for)
PER_ADDRESS_LIMIT = 500  # untrusted sockets from one address (loopback is every user of the node)
SPARE_DESCRIPTORS = 200  # files, logs and pipes the viewer itself opens besides the sockets
SHUTDOWN_WAIT = 0.5  # seconds a stuck walk, then a stuck request, may delay the exit


def listen(host: str, port: int) -> socket.socket:
    """Bind the port before doing any work, so a busy port fails fast with one line."""
    try:
        family = socket.AF_INET6 if ":" in host else socket.AF_INET
        sock = socket.socket(family, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((host, port))
    except OSError as exc:
        raise StartupError(f"cannot listen on {host}:{port}: {exc.strerror or exc}") from None
    return sock


def serve(app, sock: socket.socket, threads: int) -> None:
    """Block serving `app` until SIGINT or SIGTERM; always stop the scanner on the way out."""
    server = GuardedServer(
        app,
        sock,
        limit=_descriptors_for(CONNECTION_LIMIT) - SPARE_DESCRIPTORS,
        per_address=PER_ADDRESS_LIMIT,
        security_headers=HEADERS,
        threads=threads,
        ident="sptweb",
        # Idle keep-alive connections are closed after this: SSE streams send a keepalive every 15 s,
        # so it never cuts them. A request must arrive whole within 5 s (connections.REQUEST_DEADLINE).
        channel_timeout=20,
        cleanup_interval=1,  # how often both timeouts are checked
        asyncore_use_poll=True,  # select() fails past 1,024 descriptors; poll() has no such limit
    )
    host, port = sock.getsockname()[:2]
    scanner = scanner_of(app)
    # Started only now: its first steps (loading the rest of the persisted index) hold the GIL for
    # seconds, and every thread start and module import above would wait behind them (a restart
    # at 100,000 runs served its table after 3.1 s instead of 0.7 s).
    scanner.start()
    on_signal = _interrupt(scanner)
    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    shown_host = "127.0.0.1" if host in ("0.0.0.0", "::") else (f"[{host}]" if ":" in host else host)
    token = app.config["SPTWEB"].token if app.config["SPTWEB"].auth else None
    query = f"?token={token}" if token else ""
    try:
        print(f"sptweb: serving {scanner.root} at http://{shown_host}:{port}/{query}  (Ctrl+C to stop)", flush=True)
        server.run()  # returns after SIGINT/SIGTERM
    except KeyboardInterrupt:
        pass
    finally:
        if scanner.stop(timeout=SHUTDOWN_WAIT):  # ends every SSE stream
            scanner.save_index()  # (not while a walk still changes it: the last periodic save stands)
        server.task_dispatcher.shutdown(timeout=SHUTDOWN_WAIT)
        server.close()
        print("sptweb: stopped", file=sys.stderr)


def _descriptors_for(connections: int) -> int:
    """Raise the soft open-file limit (often 1,024 on login nodes) toward what `connections` need; return it."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    wanted = connections + SPARE_DESCRIPTORS
    if soft != resource.RLIM_INFINITY and soft < wanted:
        soft = wanted if hard == resource.RLIM_INFINITY else min(wanted, hard)
        resource.setrlimit(resource.RLIMIT_NOFILE, (soft, hard))
    return wanted if soft == resource.RLIM_INFINITY else min(wanted, soft)


def _interrupt(scanner: Scanner):
    """A signal handler that ends every SSE stream first, so waitress's worker threads can finish at once.

    Further signals are ignored: a second Ctrl+C must not interrupt the cleanup.
    """

    def handle(signum, frame) -> None:
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        scanner.feed.close()
        raise KeyboardInterrupt

    return handle
