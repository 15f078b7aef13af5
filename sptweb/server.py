"""Serve the app with waitress: bind, announce, shut down cleanly on SIGTERM and SIGINT."""

from __future__ import annotations

import signal
import socket
import sys

from waitress import create_server

from .config import StartupError
from .scan import Scanner, scanner_of

__all__ = ["StartupError", "listen", "serve"]

CONNECTION_LIMIT = 2000  # file descriptors are the bound: 2,000 sockets are well under a login node's ulimit


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
    server = create_server(
        app,
        sockets=[sock],
        threads=threads,
        ident="sptweb",
        # Idle connections are closed after this: SSE streams send a keepalive every 15 s, so it
        # never cuts them, while a connection that sends nothing is gone in 20 s.
        channel_timeout=20,
        # waitress reads requests in its event loop and hands only complete ones to threads, so
        # slow or idle connections cost no thread; past this many it stops accepting (its default,
        # 100, let 100 idle sockets of any user on the node lock the owner out).
        connection_limit=CONNECTION_LIMIT,
        asyncore_use_poll=True,  # select() fails past 1,024 descriptors; poll() has no such limit
    )
    host, port = sock.getsockname()[:2]
    scanner = scanner_of(app)
    on_signal = _interrupt(scanner)
    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    shown_host = "127.0.0.1" if host in ("0.0.0.0", "::") else (f"[{host}]" if ":" in host else host)
    token = app.config["SPTWEB"].token if app.config["SPTWEB"].auth else None
    query = f"?token={token}" if token else ""
    try:
        print(f"sptweb: serving {scanner.root} at http://{shown_host}:{port}/{query}  (Ctrl+C to stop)", flush=True)
        server.run()  # returns after SIGINT/SIGTERM, once waitress has stopped its threads
    except KeyboardInterrupt:
        pass
    finally:
        scanner.stop()  # ends every SSE stream
        scanner.save_index()
        server.close()
        print("sptweb: stopped", file=sys.stderr)


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
