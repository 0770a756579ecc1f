"""The example project under its real servers: gunicorn (WSGI) and uvicorn (ASGI).

Each server starts once per module; requests go through the real login form, and tokens
are checked by Node's jsonwebtoken.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.support.responses import assert_cors_allowed, preflight, token_claims
from tests.support.servers import DEMO_USER, SERVE, login, run_example

ALLOWED = "http://allowed.example"
REFUSED = "http://evil.example"


@pytest.fixture(scope="module", params=["django", "django-asgi"])
def base_url(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[str]:
    database = tmp_path_factory.mktemp("db") / "example.sqlite3"
    env = {"CORS_ALLOWED_ORIGINS": ALLOWED, "DJANGO_DB_PATH": str(database)}
    with run_example(request.param, env=env) as url:
        yield url


@pytest.fixture
def session(base_url: str) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=base_url) as client:
        login(client)
        yield client


def test_anonymous(base_url: str) -> None:
    with httpx.Client(base_url=base_url) as client:
        response = client.get("/user/auth")
        assert response.status_code == 401
        assert response.headers["cache-control"] == "no-store"
        assert response.json()["error"] == "not_authenticated"
        assert client.get("/user/me").status_code == 401
        home = client.get("/")
        assert home.status_code == 302
        assert home.headers["location"].startswith("/login")


def test_logged_in_user_gets_their_token(session: httpx.Client) -> None:
    me = session.get("/user/me")
    assert me.status_code == 200
    assert me.json()["username"] == DEMO_USER[0]
    claims = token_claims(session.get("/user/auth"))
    assert claims["clientId"] == me.json()["id"]


def test_client_sent_ids_are_ignored(session: httpx.Client) -> None:
    me = session.get("/user/me").json()["id"]
    response = session.get("/user/auth?clientId=admin", headers={"X-Client-Id": "admin"})
    assert token_claims(response)["clientId"] == me


def test_post_needs_csrf_through_auth_headers(session: httpx.Client) -> None:
    refused = session.post("/user/auth", json={"clientId": "admin"})
    assert refused.status_code == 403
    assert refused.json()["error"] == "csrf_failed"
    csrf = session.cookies["csrftoken"]
    response = session.post("/user/auth", json={"clientId": "admin"}, headers={"X-CSRFToken": csrf})
    assert token_claims(response)["clientId"] == session.get("/user/me").json()["id"]


def test_other_methods(session: httpx.Client) -> None:
    response = session.put("/user/auth")
    assert response.status_code == 405
    assert response.headers["allow"] == "GET, POST, OPTIONS"
    assert session.options("/user/auth").status_code == 204


def test_home_page_loads_the_official_client(session: httpx.Client) -> None:
    page = session.get("/")
    assert page.status_code == 200
    assert "https://esm.sh/@relaybox/client" in page.text
    assert "'/user/auth'" in page.text
    assert f'<strong id="user">{DEMO_USER[0]}</strong>' in page.text
    assert 'name="csrf-token" content=""' not in page.text
    assert "__" not in page.text.replace("__proto__", "")


def test_logout(base_url: str) -> None:
    with httpx.Client(base_url=base_url) as client:
        login(client)
        assert client.get("/user/auth").status_code == 200
        client.get("/logout")
        assert client.get("/user/auth").status_code == 401


def test_wrong_password_shows_the_form_again(base_url: str) -> None:
    with httpx.Client(base_url=base_url) as client:
        response = login(client, password="wrong")
        assert response.status_code == 200
        assert "Please enter a correct username and password" in response.text
        assert "csrfmiddlewaretoken" in response.text
        assert client.get("/user/auth").status_code == 401


def test_cors_preflight_and_credentialed_get_from_an_allowed_origin(session: httpx.Client) -> None:
    headers = ("content-type", "x-client-id", "x-csrftoken")
    answer = preflight(session, ALLOWED, method="POST", headers=headers)
    assert answer.status_code == 200
    assert_cors_allowed(answer, ALLOWED, headers=headers)
    response = session.get(
        "/user/auth", headers={"Origin": ALLOWED, "Content-Type": "application/json"}
    )
    assert_cors_allowed(response, ALLOWED)
    token_claims(response)
    # A cross-origin POST carries the CSRF token and passes CSRF_TRUSTED_ORIGINS.
    post = session.post(
        "/user/auth",
        headers={"Origin": ALLOWED, "X-CSRFToken": session.cookies["csrftoken"]},
    )
    token_claims(post)


def test_cors_refuses_other_origins(session: httpx.Client) -> None:
    preflight = session.options(
        "/user/auth",
        headers={"Origin": REFUSED, "Access-Control-Request-Method": "GET"},
    )
    assert preflight.status_code == 200
    assert "access-control-allow-origin" not in preflight.headers
    response = session.get("/user/auth", headers={"Origin": REFUSED})
    assert "access-control-allow-origin" not in response.headers
    post = session.post(
        "/user/auth", headers={"Origin": REFUSED, "X-CSRFToken": session.cookies["csrftoken"]}
    )
    assert post.status_code == 403


@pytest.mark.parametrize("example", ["django", "django-asgi"])
def test_malformed_key_stops_serve_py(example: str, tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, str(SERVE), example, "--port", "1"],
        env={**os.environ, "RELAYBOX_API_KEY": "not-a-key-secret-value"},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode != 0
    assert "RELAYBOX_API_KEY" in result.stderr
    assert "not-a-key-secret-value" not in result.stderr


def test_prepare_reports_check_warnings(tmp_path: Path) -> None:
    """prepare.py runs the system checks: a short secret is served, with relaybox.W001."""
    folder = SERVE.parent / "django_project"
    result = subprocess.run(
        [sys.executable, "prepare.py"],
        cwd=folder,
        env={
            **os.environ,
            "RELAYBOX_API_KEY": "app.key:secret",
            "DJANGO_DB_PATH": str(tmp_path / "db.sqlite3"),
        },
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    assert "relaybox.W001" in result.stderr
