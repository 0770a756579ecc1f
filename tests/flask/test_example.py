"""The example project, served by gunicorn through serve.py, driven over HTTP."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from collections.abc import Iterator

import httpx
import pytest

from tests.support.responses import assert_cors_allowed, preflight, token_claims
from tests.support.servers import (
    ROOT,
    SERVE,
    TEST_API_KEY,
    TEST_SECRET,
    free_port,
    login,
    run_example,
)
from tests.support.verifier import node_verify

pytest.importorskip("flask_login")
pytest.importorskip("flask_wtf")
pytest.importorskip("flask_cors")
pytest.importorskip("gunicorn")

EXAMPLE = ROOT / "example_projects" / "flask_app" / "app.py"
ALLOWED = "http://allowed.example"
REFUSED = "http://refused.example"
# A malformed key that is a secret on its own: it must never be echoed.
SECRET_ALONE = "pasted-only-the-secret-part-0123456789"


@pytest.fixture(scope="module")
def base_url() -> Iterator[str]:
    with run_example(
        "flask", env={"CORS_ALLOWED_ORIGINS": f"{ALLOWED}, http://also.example"}
    ) as url:
        yield url


@pytest.fixture
def anonymous(base_url: str) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=base_url) as client:
        yield client


@pytest.fixture
def user(base_url: str) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=base_url) as client:
        login(client)
        yield client


def test_anonymous_users(anonymous: httpx.Client) -> None:
    home = anonymous.get("/")
    assert home.status_code == 302
    assert home.headers["location"].startswith("/login")
    for path in ("/user/auth", "/user/me"):
        response = anonymous.get(path)
        assert response.status_code == 401
        assert response.json()["error"] == "not_authenticated"
    assert anonymous.get("/user/auth").headers["cache-control"] == "no-store"


def test_wrong_password_does_not_log_in(anonymous: httpx.Client) -> None:
    response = login(anonymous, password="not-the-password")
    assert response.status_code == 200
    assert "Wrong username or password." in response.text
    assert anonymous.get("/user/me").status_code == 401


def test_logged_in_user_gets_a_token(user: httpx.Client) -> None:
    me = user.get("/user/me")
    assert me.json() == {"id": "1", "username": "demo"}
    claims = token_claims(user.get("/user/auth"))
    assert claims["clientId"] == "1"
    assert claims["publicKey"] == "testapp.testkey"
    assert claims["iss"] == "https://relaybox.net"


def test_client_sent_ids_are_ignored(user: httpx.Client) -> None:
    spoofed = user.get("/user/auth", params={"clientId": "mallory"}, headers={"X-Client-Id": "x"})
    assert token_claims(spoofed)["clientId"] == "1"


def test_home_page_loads_the_official_client(user: httpx.Client) -> None:
    page = user.get("/")
    assert page.status_code == 200
    assert '"@relaybox/client": "https://esm.sh/@relaybox/client@3"' in page.text
    assert "const authEndpoint = '/user/auth';" in page.text
    assert '<strong id="user">demo</strong>' in page.text
    assert not re.search(r"__[A-Z_]+__", page.text)  # every placeholder filled


def test_post_needs_the_csrf_header_from_the_page(user: httpx.Client) -> None:
    refused = user.post("/user/auth", json={"clientId": "mallory"})
    assert refused.status_code == 400
    assert refused.json()["error"] == "csrf_failed"
    page = user.get("/").text
    match = re.search(r'<meta name="csrf-token" content="([^"]+)">', page)
    assert match is not None
    response = user.post(
        "/user/auth", headers={"X-CSRFToken": match.group(1)}, json={"clientId": "mallory"}
    )
    assert token_claims(response)["clientId"] == "1"


def test_other_methods(user: httpx.Client) -> None:
    assert user.options("/user/auth").status_code == 204
    # CSRFProtect checks DELETE (and PUT, PATCH) before the view answers 405.
    refused = user.delete("/user/auth")
    assert refused.status_code == 400
    assert refused.json()["error"] == "csrf_failed"
    token = re.search(r'name="csrf-token" content="([^"]+)"', user.get("/").text)
    assert token is not None
    response = user.delete("/user/auth", headers={"X-CSRFToken": token.group(1)})
    assert response.status_code == 405
    assert response.headers["allow"] == "GET, POST, OPTIONS"
    assert response.json()["error"] == "method_not_allowed"


def test_logout(base_url: str) -> None:
    with httpx.Client(base_url=base_url) as client:
        login(client)
        assert client.get("/user/auth").status_code == 200
        client.get("/logout")
        assert client.get("/user/auth").status_code == 401


def test_cors_allowed_origin(user: httpx.Client) -> None:
    answer = preflight(user, ALLOWED)
    assert answer.status_code == 204
    assert_cors_allowed(answer, ALLOWED, headers=("content-type", "x-client-id"))
    response = user.get(
        "/user/auth", headers={"Origin": ALLOWED, "Content-Type": "application/json"}
    )
    assert_cors_allowed(response, ALLOWED)
    assert token_claims(response)["clientId"] == "1"


def test_cors_refused_origin(user: httpx.Client) -> None:
    assert "access-control-allow-origin" not in preflight(user, REFUSED).headers
    response = user.get("/user/auth", headers={"Origin": REFUSED})
    assert "access-control-allow-origin" not in response.headers
    # Only the auth endpoint is shared cross-origin.
    me = user.get("/user/me", headers={"Origin": ALLOWED})
    assert "access-control-allow-origin" not in me.headers


def test_no_cors_by_default() -> None:
    with (
        run_example("flask", env={"CORS_ALLOWED_ORIGINS": ""}) as url,
        httpx.Client(base_url=url) as client,
    ):
        assert "access-control-allow-origin" not in preflight(client, ALLOWED).headers


def _run(*args: str, key: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, *args],
        cwd=ROOT,
        env={**os.environ, "RELAYBOX_API_KEY": key},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_serve_refuses_a_malformed_key() -> None:
    result = _run(str(SERVE), "flask", "--port", str(free_port()), key=SECRET_ALONE)
    assert result.returncode != 0
    assert "RELAYBOX_API_KEY" in result.stderr
    assert SECRET_ALONE not in result.stdout + result.stderr


def test_the_app_itself_refuses_a_malformed_key() -> None:
    """What ``flask --app ...`` (or any WSGI server) gets when the key is wrong."""
    result = _run(
        "-m",
        "flask",
        "--app",
        str(EXAMPLE),
        "relaybox",
        "token",
        "--user",
        "1",
        key="app.key:secret:with-two-colons-0123456789012345",
    )
    assert result.returncode != 0
    assert "ConfigurationError: RELAYBOX_API_KEY: the Relaybox API key has 2 ':'" in result.stderr
    assert "with-two-colons" not in result.stderr


def test_flask_cli_token_command_on_the_example() -> None:
    result = _run(
        "-m", "flask", "--app", str(EXAMPLE), "relaybox", "token", "--user", "1", key=TEST_API_KEY
    )
    assert result.returncode == 0, result.stderr
    body = httpx.Response(200, content=result.stdout).json()
    assert node_verify(body["token"], TEST_SECRET)["clientId"] == "1"
    unknown = _run(
        "-m", "flask", "--app", str(EXAMPLE), "relaybox", "token", "--user", "99", key=TEST_API_KEY
    )
    assert unknown.returncode == 1
    assert "no user with id '99'" in unknown.stderr


def test_flask_run_serves_the_example() -> None:
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "flask", "--app", str(EXAMPLE), "run", "--port", str(port)],
        cwd=ROOT,
        env={**os.environ, "RELAYBOX_API_KEY": TEST_API_KEY},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        with httpx.Client(base_url=f"http://127.0.0.1:{port}") as client:
            for _ in range(100):
                try:
                    client.get("/login")
                    break
                except httpx.TransportError:
                    time.sleep(0.1)
            login(client)
            assert token_claims(client.get("/user/auth"))["clientId"] == "1"
    finally:
        process.terminate()
        process.wait(timeout=15)
