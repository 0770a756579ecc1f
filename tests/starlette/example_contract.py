"""What the Starlette and FastAPI examples must do, checked against the real server.

Each example's test module subclasses :class:`ExampleContract`; the example runs once per
class under uvicorn (via ``serve.py``), with one CORS origin allowed.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from typing import ClassVar

import httpx
import pytest

from tests.support.responses import assert_cors_allowed, preflight
from tests.support.servers import (
    SERVE,
    TEST_API_KEY,
    TEST_SECRET,
    free_port,
    login,
    run_example,
    submit_login_form,
)
from tests.support.verifier import node_verify, node_verify_many

ALLOWED_ORIGIN = "http://allowed.example:3000"
REFUSED_ORIGIN = "http://evil.example"
SPOOF = "admin"


class ExampleContract:
    example: ClassVar[str]

    @pytest.fixture(scope="class")
    @classmethod
    def base_url(cls) -> Iterator[str]:
        with run_example(cls.example, env={"CORS_ALLOWED_ORIGINS": ALLOWED_ORIGIN}) as url:
            yield url

    @pytest.fixture(scope="class")
    @classmethod
    def user(cls, base_url: str) -> Iterator[httpx.Client]:
        """A client logged in as the demo user through the real form."""
        with httpx.Client(base_url=base_url) as client:
            login(client)
            yield client

    @pytest.fixture
    def anonymous(self, base_url: str) -> Iterator[httpx.Client]:
        with httpx.Client(base_url=base_url) as client:
            yield client

    def test_anonymous_visitors_get_json_401s_and_a_login_redirect(
        self, anonymous: httpx.Client
    ) -> None:
        for path in ("/user/auth", "/user/me"):
            response = anonymous.get(path)
            assert response.status_code == 401, path
            assert response.headers["content-type"] == "application/json"
            assert response.json()["error"] == "not_authenticated"
        assert anonymous.get("/user/auth").headers["cache-control"] == "no-store"
        home = anonymous.get("/")
        assert home.status_code in (302, 303, 307)
        assert home.headers["location"].endswith("/login")

    def test_login_page_is_the_shared_form(self, anonymous: httpx.Client) -> None:
        page = anonymous.get("/login")
        assert page.status_code == 200
        assert 'name="username"' in page.text
        assert 'action="/login"' in page.text
        assert "__" not in page.text  # every placeholder replaced

    def test_wrong_password_does_not_log_in(self, anonymous: httpx.Client) -> None:
        response = submit_login_form(anonymous, "demo", "wrong")
        assert response.status_code == 400
        assert "Wrong username or password" in response.text
        assert anonymous.get("/user/me").status_code == 401
        assert submit_login_form(anonymous, "nobody", "demo-password").status_code == 400

    def test_me_answers_the_session_user(self, user: httpx.Client) -> None:
        response = user.get("/user/me")
        assert response.status_code == 200
        assert response.json() == {"id": "1", "username": "demo"}

    def test_auth_get_and_post_mint_tokens_for_the_session_user(self, user: httpx.Client) -> None:
        json_header = {"Content-Type": "application/json"}
        responses = [
            user.get("/user/auth", headers=json_header),
            user.post("/user/auth", headers=json_header),
        ]
        for response in responses:
            assert response.status_code == 200, response.text
            assert response.headers["cache-control"] == "no-store"
            assert set(response.json()) == {"token", "expiresIn", "expiresAt"}
        verdicts = node_verify_many([r.json()["token"] for r in responses], TEST_SECRET)
        user_id = user.get("/user/me").json()["id"]
        for verdict, response in zip(verdicts, responses, strict=True):
            assert verdict["ok"], verdict
            assert verdict["claims"]["clientId"] == user_id
            assert verdict["claims"]["publicKey"] == "testapp.testkey"
            assert response.json()["expiresAt"] == verdict["claims"]["exp"] * 1000

    def test_client_sent_ids_are_ignored(self, user: httpx.Client) -> None:
        response = user.post(
            f"/user/auth?clientId={SPOOF}",
            headers={"X-Client-Id": SPOOF, "Content-Type": "application/json"},
            content=f'{{"clientId": "{SPOOF}"}}',
        )
        assert node_verify(response.json()["token"], TEST_SECRET)["clientId"] == "1"

    def test_other_methods_and_options(self, user: httpx.Client) -> None:
        for method in ("PUT", "DELETE", "PATCH"):
            response = user.request(method, "/user/auth")
            assert response.status_code == 405, method
            assert response.headers["allow"] == "GET, POST, OPTIONS"
            assert response.json()["error"] == "method_not_allowed"
        options = user.options("/user/auth")
        assert options.status_code == 204
        assert options.headers["cache-control"] == "no-store"

    def test_home_page_loads_the_official_client_from_a_cdn(self, user: httpx.Client) -> None:
        page = user.get("/")
        assert page.status_code == 200
        assert "https://esm.sh/@relaybox/client@3" in page.text
        assert "'/user/auth'" in page.text
        assert '<strong id="user">demo</strong>' in page.text
        assert "__" not in page.text  # every placeholder replaced

    def test_cors_preflight_and_credentialed_get_from_an_allowed_origin(
        self, user: httpx.Client
    ) -> None:
        answer = preflight(user, ALLOWED_ORIGIN)
        assert answer.status_code == 200
        assert_cors_allowed(answer, ALLOWED_ORIGIN, headers=("content-type", "x-client-id"))
        response = user.get(
            "/user/auth", headers={"Origin": ALLOWED_ORIGIN, "Content-Type": "application/json"}
        )
        assert response.status_code == 200
        assert_cors_allowed(response, ALLOWED_ORIGIN)
        assert node_verify(response.json()["token"], TEST_SECRET)["clientId"] == "1"

    def test_cors_refuses_other_origins(self, user: httpx.Client) -> None:
        preflight = user.options(
            "/user/auth",
            headers={"Origin": REFUSED_ORIGIN, "Access-Control-Request-Method": "GET"},
        )
        assert preflight.status_code == 400
        assert "access-control-allow-origin" not in preflight.headers
        response = user.get("/user/auth", headers={"Origin": REFUSED_ORIGIN})
        # The server answers, but without CORS headers the browser hides it from the page.
        assert "access-control-allow-origin" not in response.headers

    def test_logout_ends_the_session(self, base_url: str) -> None:
        with httpx.Client(base_url=base_url) as client:
            login(client)
            assert client.get("/user/auth").status_code == 200
            client.get("/logout")
            assert client.get("/user/auth").status_code == 401

    @pytest.mark.parametrize(
        ("setting", "value", "named", "workers"),
        [
            ("RELAYBOX_API_KEY", "not-a-key", "RELAYBOX_API_KEY", 1),
            ("RELAYBOX_TOKEN_EXPIRES_IN", "soon", "RELAYBOX_TOKEN_EXPIRES_IN", 1),
            ("RELAYBOX_TOKEN_EXPIRES_IN", "10", "expires_in must be", 1),
            # uvicorn alone would restart the failing workers forever
            ("RELAYBOX_TOKEN_EXPIRES_IN", "soon", "RELAYBOX_TOKEN_EXPIRES_IN", 2),
        ],
    )
    def test_bad_settings_stop_serve_py_naming_them(
        self, setting: str, value: str, named: str, workers: int
    ) -> None:
        port, count = str(free_port()), str(workers)
        result = subprocess.run(
            [sys.executable, str(SERVE), self.example, "--port", port, "--workers", count],
            env={**os.environ, "RELAYBOX_API_KEY": TEST_API_KEY, setting: value},
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
        assert result.returncode != 0
        assert named in result.stderr
        assert "Started server process" not in result.stderr

    def test_two_workers_serve_the_same_session(self) -> None:
        """Any worker answers any request: the endpoint keeps no state of its own."""
        with run_example(self.example, workers=2) as url:
            with httpx.Client(base_url=url) as client:
                login(client)
                cookies = dict(client.cookies)
            tokens = []
            for _ in range(12):  # a new connection each: the kernel spreads them over workers
                with httpx.Client(base_url=url, cookies=cookies) as fresh:
                    response = fresh.get("/user/auth")
                    assert response.status_code == 200, response.text
                    tokens.append(response.json()["token"])
        for verdict in node_verify_many(tokens, TEST_SECRET):
            assert verdict["ok"], verdict
            assert verdict["claims"]["clientId"] == "1"
