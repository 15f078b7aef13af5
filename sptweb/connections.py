"""waitress, hardened for a shared login node: nobody else's sockets can lock the owner out.

Every user of the node can open connections to the viewer's port. waitress
reads requests in one event loop and hands only complete ones to its threads,
so slow or idle sockets cost no thread; what they can still exhaust is
connections, and waitress's loop accepts one connection per turn, which under
load (one turn waits for the GIL behind every busy thread: ~100 ms) left a
new visitor unanswered for seconds. This module's server

- accepts every waiting connection in one turn (up to ACCEPT_BURST);
- closes a connection that has not completed a request within
  REQUEST_DEADLINE seconds (slowloris, or a socket opened and left silent);
- trusts a connection once it carried an authenticated request: with the
  token, the owner's connections are never closed to make room;
- keeps at most `per_address` untrusted connections per client address and
  `limit` in all: past either, the oldest untrusted connection that is not
  being served is closed to make room, so a flood costs the flooder its own
  older sockets, never the owner a new one;
- answers waitress's own errors (431, 500, …) with the app's security headers.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterable

from waitress.channel import HTTPChannel
from waitress.server import TcpWSGIServer
from waitress.task import ErrorTask, WSGITask

ACCEPT_BURST = 256  # connections accepted per loop turn: bounded so a flood cannot stall the loop
REQUEST_DEADLINE = 5.0  # seconds from a request's first byte (or the connection's opening) to its end
AUTHENTICATED = "sptweb.authenticated"  # the environ key `security` sets on a request that proved the token


class Guard:
    """Open and untrusted connections per client address, oldest first; shared by the loop and worker threads."""

    def __init__(self, limit: int, per_address: int) -> None:
        self.limit = limit
        self.per_address = per_address
        self._lock = threading.Lock()
        self._open: set[GuardedChannel] = set()
        self._untrusted: dict[str, dict[GuardedChannel, None]] = {}  # insertion order = age

    @property
    def open(self) -> int:
        return len(self._open)

    def admit(self, channel: GuardedChannel) -> None:
        with self._lock:
            self._open.add(channel)
            self._untrusted.setdefault(channel.address, {})[channel] = None

    def trust(self, channel: GuardedChannel) -> None:
        with self._lock:
            self._forget(channel)

    def closed(self, channel: GuardedChannel) -> None:
        with self._lock:
            self._open.discard(channel)
            self._forget(channel)

    def victims(self, address: str) -> list[GuardedChannel]:
        """The connections to close so that one more from `address` fits: the oldest untrusted idle ones."""
        with self._lock:
            same = self._untrusted.get(address, {})
            victims = _idle(same, len(same) - self.per_address + 1)
            over = len(self._open) - len(victims) - self.limit + 1
            if over > 0:
                everyone = (channel for group in self._untrusted.values() for channel in group)
                victims += _idle((channel for channel in everyone if channel not in victims), over)
            return victims

    def has_room(self, address: str) -> bool:
        with self._lock:
            return len(self._open) < self.limit and len(self._untrusted.get(address, ())) < self.per_address

    def _forget(self, channel: GuardedChannel) -> None:
        same = self._untrusted.get(channel.address)
        if same is not None:
            same.pop(channel, None)
            if not same:
                del self._untrusted[channel.address]


def _idle(channels: Iterable[GuardedChannel], count: int) -> list[GuardedChannel]:
    """Up to `count` of `channels` that no worker thread is serving (closing those is safe from the loop)."""
    found: list[GuardedChannel] = []
    for channel in channels:
        if len(found) >= count:
            break
        if not channel.requests:
            found.append(channel)
    return found


class SecureErrorTask(ErrorTask):
    """waitress's own error responses (a 431 for huge headers, a 500 from a crashed app) with our headers."""

    def execute(self) -> None:
        self.response_headers.extend(self.channel.server.security_headers)
        super().execute()


class TrustingTask(WSGITask):
    """Marks its connection trusted once the app authenticated a request on it."""

    def execute(self) -> None:
        super().execute()
        if self.environ and self.environ.get(AUTHENTICATED) and not self.channel.trusted:
            self.channel.trusted = True
            self.channel.server.guard.trust(self.channel)


class GuardedChannel(HTTPChannel):
    task_class = TrustingTask
    error_task_class = SecureErrorTask
    trusted = False

    def __init__(self, server, sock, addr, adj, map=None) -> None:
        self.address = addr[0] if isinstance(addr, tuple) else str(addr)
        # when the request being received began (None between requests): the first one is due at once
        self.request_started: float | None = time.time()
        super().__init__(server, sock, addr, adj, map)

    def received(self, data: bytes) -> bool:
        if self.request is None and data:
            self.request_started = time.time()
        result = super().received(data)
        if self.request is None:  # every byte so far belonged to complete requests
            self.request_started = None
        return result

    def add_channel(self, map=None) -> None:
        super().add_channel(map)
        self.server.guard.admit(self)

    def del_channel(self, map=None) -> None:
        self.server.guard.closed(self)
        super().del_channel(map)


class GuardedServer(TcpWSGIServer):
    channel_class = GuardedChannel

    def __init__(self, app, sock, *, limit: int, per_address: int, security_headers, **adjustments) -> None:
        self.guard = Guard(limit, per_address)
        self.security_headers = tuple(security_headers)
        super().__init__(
            app,
            _sock=sock,
            bind_socket=False,
            sockinfo=(sock.family, sock.type, None, sock.getsockname()),
            # waitress's own limit stops accepting when full, which would lock everyone out; ours
            # makes room instead, so waitress's sits above it and is never reached
            connection_limit=limit + 64,
            **adjustments,
        )

    def handle_accept(self) -> None:
        for _ in range(ACCEPT_BURST):
            try:
                accepted = self.accept()  # None when no connection is waiting
            except OSError:
                return
            if accepted is None:
                return
            sock, addr = accepted
            address = addr[0] if isinstance(addr, tuple) else str(addr)
            for channel in self.guard.victims(address):
                channel.handle_close()
            if not self.guard.has_room(address):  # all trusted or busy: the newcomer waits its turn elsewhere
                sock.close()
                continue
            try:
                self.set_socket_options(sock)
                self.channel_class(self, sock, addr, self.adj, map=self._map)
            except OSError:  # the peer hung up before we got to it
                sock.close()

    def run(self) -> None:
        """Serve until interrupted; unlike waitress, leave stopping the threads to the caller, which
        waits at most a second for them (waitress waits 5 s for a request that may never end)."""
        try:
            self.asyncore.loop(
                timeout=self.adj.asyncore_loop_timeout, map=self._map, use_poll=self.adj.asyncore_use_poll
            )
        except (SystemExit, KeyboardInterrupt):
            pass

    def maintenance(self, now: float) -> None:
        """Close idle keep-alive connections (waitress) and those whose request is overdue (ours)."""
        super().maintenance(now)
        overdue = now - REQUEST_DEADLINE
        for channel in list(self.active_channels.values()):
            started = channel.request_started
            if started is not None and started < overdue and not channel.requests:
                channel.will_close = True
