"""Safe on a shared login node: token auth, Host allowlist, CSRF, headers, limits, shutdown."""

import os
import re
import signal
import stat
import subprocess
import sys
import time

import pytest

from sptweb.scan import scanner_of
from sptweb.security import load_or_create_token

TOKEN = "s3cret-token"


@pytest.fixture
def secure_client(make_app, make_run):
    make_run("p/r")
    app = make_app(auth=True, token=TOKEN, port=4242)
    scanner_of(app).scan_once()
    return app.test_client()


COOKIE = "sptweb_token_4242"


def test_no_token_gets_a_401_page_that_says_how_to_get_in(secure_client, runs_root):
    response = secure_client.get("/run/p/r?tab=logs")
    assert response.status_code == 401
    assert "?token=" in response.text and "Authorization: Bearer" in response.text
    form = re.search(r'<form class="token-form" method="get" action="([^"]+)">.*?</form>', response.text, re.S)
    assert form and form.group(1) == "/run/p/r" and 'type="password" name="token"' in form.group(0)
    assert '<input type="hidden" name="tab" value="logs">' in form.group(0)  # lands where it was going
    # a visitor may be anyone on the node: no home directory, no token file, no served folder
    assert str(runs_root) not in response.text and ".config" not in response.text and "/root" not in response.text
    entered = secure_client.get(f"{form.group(1)}?token={TOKEN}")  # what submitting the form sends
    assert entered.status_code == 302 and COOKIE in entered.headers["Set-Cookie"]


def test_api_without_token_gets_json_401(secure_client):
    response = secure_client.get("/api/runs")
    assert response.status_code == 401 and "Bearer" in response.json["error"]
    assert response.headers["WWW-Authenticate"].startswith("Bearer")


@pytest.mark.parametrize("how", ["query", "cookie", "header"])
def test_wrong_token_is_refused_everywhere(secure_client, how):
    if how == "query":
        response = secure_client.get("/api/runs?token=nope")
    elif how == "cookie":
        secure_client.set_cookie(COOKIE, "nope")
        response = secure_client.get("/api/runs")
    else:
        response = secure_client.get("/api/runs", headers={"Authorization": "Bearer nope"})
    assert response.status_code == 401


def test_query_token_sets_a_strict_httponly_cookie_and_redirects_to_the_clean_url(secure_client):
    response = secure_client.get(f"/?q=vit&token={TOKEN}")
    assert response.status_code == 302 and response.headers["Location"] == "/?q=vit"
    cookie = response.headers["Set-Cookie"]
    assert f"{COOKIE}={TOKEN}" in cookie and "HttpOnly" in cookie and "SameSite=Strict" in cookie
    assert secure_client.get("/?q=vit").status_code == 200  # the cookie now lets the browser in


def test_bearer_header_for_scripts(secure_client):
    response = secure_client.get("/api/runs", headers={"Authorization": f"Bearer {TOKEN}"})
    assert response.status_code == 200 and response.json["total"] == 1


def test_static_assets_need_no_token(secure_client):
    assert secure_client.get("/static/app.css").status_code == 200


def test_events_and_media_need_the_token(secure_client):
    assert secure_client.get("/events").status_code == 401
    assert secure_client.get("/media/file?run=p/r&path=media/x.png").status_code == 401


def test_unknown_host_header_is_refused(secure_client):
    response = secure_client.get("/api/runs", headers={"Host": "evil.example:4242", "Authorization": f"Bearer {TOKEN}"})
    assert response.status_code == 400 and "--allow-host evil.example" in response.json["error"]
    for host in ("localhost:4242", "127.0.0.1:4242", "[::1]:4242"):
        assert (
            secure_client.get("/api/runs", headers={"Host": host, "Authorization": f"Bearer {TOKEN}"}).status_code
            == 200
        )


def test_allow_host_adds_names(make_app):
    app = make_app(allowed_hosts=("viewer.lab",))
    assert app.test_client().get("/", headers={"Host": "viewer.lab"}).status_code == 200


def test_cross_site_edit_is_refused_even_with_the_cookie(secure_client):
    scanner = scanner_of(secure_client.application)
    secure_client.set_cookie(COOKIE, TOKEN)
    evil = secure_client.post("/edit?run=p/r", data={"notes": "pwned"}, headers={"Origin": "http://evil.example"})
    assert evil.status_code == 403 and scanner.snapshot.get("p/r").notes == ""
    no_origin = secure_client.patch("/api/meta?run=p/r", json={"notes": "pwned"})
    assert no_origin.status_code == 403
    same = secure_client.post("/edit?run=p/r", data={"notes": "mine"}, headers={"Origin": "http://localhost"})
    assert same.status_code == 200 and scanner.snapshot.get("p/r").notes == "mine"
    referer = secure_client.patch(
        "/api/meta?run=p/r", json={"notes": "via referer"}, headers={"Referer": "http://localhost/run/p/r"}
    )
    assert referer.status_code == 200


def test_scripts_with_a_bearer_token_need_no_origin(secure_client):
    response = secure_client.patch(
        "/api/meta?run=p/r", json={"notes": "from a script"}, headers={"Authorization": f"Bearer {TOKEN}"}
    )
    assert response.status_code == 200


def test_security_headers_on_every_response(secure_client):
    for response in (
        secure_client.get("/"),
        secure_client.get("/static/app.css"),
        secure_client.get(f"/api/runs?token={TOKEN}"),
    ):
        csp = response.headers["Content-Security-Policy"]
        assert "script-src 'self'" in csp and "frame-ancestors 'none'" in csp and "unsafe-inline" not in csp
        assert response.headers["X-Content-Type-Options"] == "nosniff"
        assert response.headers["Referrer-Policy"] == "same-origin"
        assert response.headers["X-Frame-Options"] == "DENY"


def test_limits_are_clear_errors(secure_client):
    auth = {"Authorization": f"Bearer {TOKEN}"}
    assert secure_client.get("/api/runs?q=" + "x" * 40_000, headers=auth).status_code == 400
    big = secure_client.patch("/api/meta?run=p/r", data=b"x" * (2 << 20), headers=auth, content_type="application/json")
    assert big.status_code == 413


def test_token_file_is_private_and_stable(tmp_path):
    path = tmp_path / "cfg" / "sptweb" / "token"
    first = load_or_create_token(str(path))
    assert stat.S_IMODE(path.stat().st_mode) == 0o600 and len(first) >= 24
    assert load_or_create_token(str(path)) == first


def test_serve_prints_the_token_url_and_stops_cleanly_on_sigterm(tmp_path, runs_root):
    env = {**os.environ, "XDG_CONFIG_HOME": str(tmp_path / "config"), "SPTWEB_INDEX_CACHE_DIR": ""}
    with subprocess.Popen(
        [sys.executable, "-m", "sptweb", "serve", str(runs_root), "--port", "0"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    ) as process:  # closes the pipes
        try:
            line = process.stdout.readline()
            token = (tmp_path / "config" / "sptweb" / "token").read_text().strip()
            assert f"/?token={token}" in line
            started = time.monotonic()
            process.send_signal(signal.SIGTERM)
            assert process.wait(timeout=15) == 0
            assert time.monotonic() - started < 5
        finally:
            process.kill()


def test_no_auth_warns(tmp_path, runs_root):
    with subprocess.Popen(
        [sys.executable, "-m", "sptweb", "serve", str(runs_root), "--port", "0", "--no-auth"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "SPTWEB_INDEX_CACHE_DIR": ""},
    ) as process:  # closes the pipes
        try:
            assert "?token=" not in process.stdout.readline()
            process.send_signal(signal.SIGINT)
            assert process.wait(timeout=15) == 0
            assert "WARNING: --no-auth" in process.stderr.read()
        finally:
            process.kill()


def test_a_token_file_others_can_read_is_refused_with_the_fix(tmp_path):
    from sptweb.config import StartupError

    path = tmp_path / "token"
    path.write_text("abc\n")
    path.chmod(0o644)
    with pytest.raises(StartupError, match="chmod 600"):
        load_or_create_token(str(path))
    path.chmod(0o600)
    assert load_or_create_token(str(path)) == "abc"
