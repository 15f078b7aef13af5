"""Safe on a shared login node: token auth, a Host allowlist, CSRF checks, security headers, limits.

Every user of a login node can reach 127.0.0.1:<port>, so by default every
request but static assets needs the token (like Jupyter): from the URL once
(which sets an HttpOnly, SameSite=Strict cookie), from that cookie, or from an
`Authorization: Bearer` header for scripts.
"""

from __future__ import annotations

import hmac
import os
import secrets
import socket
from urllib.parse import urlencode, urlsplit

from flask import Flask, redirect, render_template, request

from .config import StartupError
from .connections import AUTHENTICATED
from .web.responses import json_error

COOKIE_MAX_AGE = 30 * 24 * 3600  # bookmarks keep working for a month of restarts
MAX_QUERY_BYTES = 32 * 1024  # a compare URL of 200 long run ids fits; nothing needs more
STATE_CHANGING = {"POST", "PUT", "PATCH", "DELETE"}
ALWAYS_ALLOWED_HOSTS = {"localhost", "127.0.0.1", "::1"}
CSP = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",  # no inline script anywhere: every script is a file in static/
        "style-src 'self'",
        "img-src 'self' data:",
        "media-src 'self'",
        "connect-src 'self'",
        "object-src 'none'",
        "base-uri 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
)

HEADERS = (  # on every response, the server's own error pages included (see connections.py)
    ("Content-Security-Policy", CSP),
    ("X-Content-Type-Options", "nosniff"),
    ("X-Frame-Options", "DENY"),
    ("Referrer-Policy", "same-origin"),
)


def token_path() -> str:
    base = os.environ.get("XDG_CONFIG_HOME") or os.path.expanduser("~/.config")
    return os.path.join(base, "sptweb", "token")


def load_or_create_token(path: str | None = None) -> str:
    """The token kept (mode 0600) in the user's config dir, created on first use, so URLs survive restarts."""
    path = path or token_path()
    try:
        if os.stat(path).st_mode & 0o077:  # group or others could read it, and so get in
            raise StartupError(
                f"{path} can be read by other users; run `chmod 600 {path}` (or delete it for a new token)"
            )
        with open(path) as handle:
            token = handle.read().strip()
        if token:
            return token
    except FileNotFoundError:
        pass
    os.makedirs(os.path.dirname(path), mode=0o700, exist_ok=True)
    token = secrets.token_urlsafe(24)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(token + "\n")
    os.chmod(path, 0o600)
    return token


def allowed_hosts(bound_host: str, extra: tuple[str, ...]) -> set[str]:
    """Host header names this server answers to; anything else may be DNS rebinding."""
    hosts = set(ALWAYS_ALLOWED_HOSTS) | {host.lower() for host in extra}
    if bound_host not in ("0.0.0.0", "::", ""):
        hosts.add(bound_host.lower())
    hosts.update({socket.gethostname().lower(), socket.getfqdn().lower()})
    return hosts


def init_app(app: Flask, config) -> None:
    """Register the checks (before every request) and the headers (after every response)."""
    hosts = allowed_hosts(config.host, config.allowed_hosts)
    cookie = f"sptweb_token_{config.port}"  # one per port: two viewers on one host keep their own

    @app.before_request
    def guard():
        if _hostname(request.host) not in hosts:
            return _refuse(
                400, f"unknown Host {request.host!r}; start sptweb with --allow-host {_hostname(request.host)}"
            )
        if len(request.query_string) > MAX_QUERY_BYTES:
            return _refuse(400, f"query string over {MAX_QUERY_BYTES // 1024} KiB")
        if not config.auth or request.endpoint == "static":
            return None
        via = _authenticated_by(config.token, cookie)
        if via is None:
            return _refuse_unauthenticated()
        request.environ[AUTHENTICATED] = True  # the server never closes this connection to make room
        if via == "query" and request.method == "GET":
            return _drop_token_from_url(config.token, cookie)
        if request.method in STATE_CHANGING and via == "cookie" and not _same_origin():
            return _refuse(403, "cross-site request refused (Origin or Referer must be this server)")
        return None

    @app.after_request
    def headers(response):
        for name, value in HEADERS:
            response.headers.setdefault(name, value)
        return response


def _authenticated_by(token: str, cookie: str) -> str | None:
    """How the request proved it holds the token: "header", "cookie", "query", or None."""
    header = request.headers.get("Authorization", "")
    if header.startswith("Bearer ") and _matches(header[7:].strip(), token):
        return "header"
    if _matches(request.cookies.get(cookie, ""), token):
        return "cookie"
    if _matches(request.args.get("token", ""), token):
        return "query"
    return None


def _matches(candidate: str, token: str) -> bool:
    return bool(candidate) and hmac.compare_digest(candidate.encode(), token.encode())


def _drop_token_from_url(token: str, cookie: str):
    """First visit with ?token=: remember it in a cookie and show the clean URL (no token in history)."""
    args = [(key, value) for key, value in request.args.items(multi=True) if key != "token"]
    response = redirect(request.path + ("?" + urlencode(args) if args else ""), code=302)
    response.set_cookie(cookie, token, max_age=COOKIE_MAX_AGE, httponly=True, samesite="Strict", path="/")
    return response


def _same_origin() -> bool:
    """Origin (or, failing that, Referer) names this very server."""
    expected = f"{request.scheme}://{request.host}"
    origin = request.headers.get("Origin")
    if origin:
        return origin == expected
    referer = request.headers.get("Referer", "")
    parts = urlsplit(referer)
    return bool(referer) and f"{parts.scheme}://{parts.netloc}" == expected


def _hostname(host: str) -> str:
    """The Host header without its port ("[::1]:4242" -> "::1")."""
    if host.startswith("["):
        return host[1 : host.find("]")].lower()
    return host.rsplit(":", 1)[0].lower() if host.count(":") == 1 else host.lower()


def _wants_json() -> bool:
    return request.path.startswith(("/api/", "/events")) or request.headers.get("Accept", "").startswith(
        "application/json"
    )


def _refuse(status: int, message: str):
    if _wants_json():
        return json_error(message, status)
    return render_template("error.html", error=_Problem(status, message)), status


def _refuse_unauthenticated():
    message = "this sptweb needs its access token"
    if _wants_json():
        response = json_error(f"{message}: send Authorization: Bearer <token>", 401)
        response.headers["WWW-Authenticate"] = 'Bearer realm="sptweb"'
        return response
    # says neither where the token file is nor which folder is served: the visitor may be anyone on the node
    return render_template("unauthorized.html", hide_root=True), 401


class _Problem:
    """The bits of an HTTPException that error.html shows."""

    def __init__(self, code: int, description: str) -> None:
        self.code, self.description = code, description
        self.name = {400: "Bad Request", 403: "Forbidden"}.get(code, "Error")
