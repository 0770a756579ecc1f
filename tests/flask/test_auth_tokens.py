"""Flask requests signed in by a Relaybox user's auth token: ``load_user_from_auth_token`` as
Flask-Login's request loader, and on its own, through Flask's test client."""

from __future__ import annotations

import importlib.util
import logging
from dataclasses import dataclass
from typing import Any

import pytest
from flask import Flask, g, jsonify

from relaybox_integrations import ConfigurationError
from relaybox_integrations.auth_tokens import (
    CHALLENGE,
    EXPIRED_TOKEN,
    INVALID_TOKEN,
    NO_USER,
    RelayBoxUser,
)
from relaybox_integrations.flask import RelayBox, load_user_from_auth_token
from tests.support.auth_tokens import API_KEY, CLIENT_ID, SECRET, USER_ID, bad_tokens, good_token
from tests.support.snippets import assert_runs, run_snippet
from tests.support.verifier import node_verify

PAGE = "docs/guides/flask.rst"
SECTION = "Relaybox users' auth tokens"
SNIPPETS = {("docs/guides/flask.rst", "Relaybox users' auth tokens", "python"): 1}
HAS_FLASK_LOGIN = importlib.util.find_spec("flask_login") is not None
needs_flask_login = pytest.mark.skipif(not HAS_FLASK_LOGIN, reason="Flask-Login is not installed")


@dataclass
class Member:
    """The application's own user, as Flask-Login wants it."""

    name: str
    is_active: bool = True
    is_authenticated = True
    is_anonymous = False

    def get_id(self) -> str:
        return self.name


MEMBERS = {CLIENT_ID: Member("alice"), "inactive-one": Member("bob", is_active=False)}


def load_member(relaybox_user: RelayBoxUser) -> Member | None:
    return MEMBERS.get(relaybox_user.client_id)


def plain_app(hook: Any = load_member) -> Flask:
    """Without Flask-Login: the view asks for the token's user itself."""
    app = Flask(__name__)
    app.config.update(TESTING=True, RELAYBOX_API_KEY=API_KEY)
    relaybox = RelayBox(app)
    if hook is not None:
        relaybox.user_from_auth_token(hook)

    @app.get("/whoami")
    def whoami() -> Any:
        user = load_user_from_auth_token()
        if user is None:
            return jsonify(user=None)
        relaybox_user = g.relaybox_user
        return jsonify(user=type(user).__name__, id=user.get_id(), sub=relaybox_user.user_id)

    return app


def login_app() -> Flask:
    """With Flask-Login: the request loader, beside a session login."""
    import flask_login

    app = Flask(__name__)
    app.config.update(TESTING=True, SECRET_KEY="test-session-key", RELAYBOX_API_KEY=API_KEY)
    relaybox = RelayBox(app)
    relaybox.user_from_auth_token(load_member)
    login_manager = flask_login.LoginManager(app)
    login_manager.user_loader(
        lambda name: next((m for m in MEMBERS.values() if m.name == name), None)
    )
    login_manager.request_loader(load_user_from_auth_token)

    @app.get("/me")
    @flask_login.login_required
    def me() -> Any:
        return jsonify(name=flask_login.current_user.name)

    @app.post("/session-login")
    def session_login() -> Any:
        flask_login.login_user(MEMBERS[CLIENT_ID])
        return jsonify(ok=True)

    return app


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def assert_refused(response: Any, message: str, token: str = "") -> None:
    assert response.status_code == 401
    assert response.json == {"error": "invalid_token", "message": message}
    assert response.headers["WWW-Authenticate"] == CHALLENGE
    assert response.headers["Cache-Control"] == "no-store"
    body = response.get_data(as_text=True)
    assert SECRET not in body
    assert not token or token not in body


def test_a_valid_token_is_the_hooks_user() -> None:
    response = plain_app().test_client().get("/whoami", headers=bearer(good_token()))
    assert response.json == {"user": "Member", "id": "alice", "sub": USER_ID}


def test_without_a_hook_the_user_is_the_relaybox_user() -> None:
    response = plain_app(hook=None).test_client().get("/whoami", headers=bearer(good_token()))
    assert response.json == {"user": "RelayBoxUser", "id": CLIENT_ID, "sub": USER_ID}


def test_an_async_hook_runs() -> None:
    async def load(relaybox_user: RelayBoxUser) -> Member | None:
        return MEMBERS.get(relaybox_user.client_id)

    response = plain_app(load).test_client().get("/whoami", headers=bearer(good_token()))
    assert response.json["id"] == "alice"  # type: ignore[index]


def test_a_hook_that_is_not_a_function_is_refused_at_once() -> None:
    relaybox = RelayBox()
    with pytest.raises(
        ConfigurationError, match="user_from_auth_token must be a function"
    ) as caught:
        relaybox.user_from_auth_token(123)  # type: ignore[type-var]
    assert caught.value.setting == "user_from_auth_token"
    assert relaybox.user_from_auth_token_hook is None


def test_without_the_header_or_with_another_scheme_nobody_is_signed_in() -> None:
    client = plain_app().test_client()
    assert client.get("/whoami").json == {"user": None}
    assert client.get("/whoami", headers={"Authorization": "Basic dXNlcjpwYXNz"}).json == {
        "user": None
    }


@pytest.mark.parametrize("kind", sorted(bad_tokens()))
def test_every_bad_token_is_a_json_401(kind: str) -> None:
    token = bad_tokens()[kind]
    message = EXPIRED_TOKEN if kind == "expired" else INVALID_TOKEN
    assert_refused(plain_app().test_client().get("/whoami", headers=bearer(token)), message, token)


def test_no_user_an_inactive_one_or_a_malformed_header_is_a_json_401() -> None:
    client = plain_app().test_client()
    assert_refused(client.get("/whoami", headers=bearer(good_token("stranger"))), NO_USER)
    assert_refused(client.get("/whoami", headers=bearer(good_token("inactive-one"))), NO_USER)
    assert_refused(client.get("/whoami", headers={"Authorization": "Bearer a b"}), INVALID_TOKEN)


def test_the_log_says_why_and_never_holds_the_token(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    token = bad_tokens()["wrong issuer"]
    plain_app().test_client().get("/whoami", headers=bearer(token))
    assert "issuer 'https://evil.example'" in caplog.text
    assert token not in caplog.text
    assert SECRET not in caplog.text


@needs_flask_login
def test_flask_logins_request_loader_signs_requests_in() -> None:
    client = login_app().test_client()
    assert client.get("/me", headers=bearer(good_token())).json == {"name": "alice"}
    token = bad_tokens()["another app's key"]
    assert_refused(client.get("/me", headers=bearer(token)), INVALID_TOKEN, token)
    assert client.get("/me").status_code == 401  # Flask-Login's own unauthorized answer


@needs_flask_login
def test_a_session_login_still_works_and_no_session_comes_from_a_token() -> None:
    client = login_app().test_client()
    response = client.get("/me", headers=bearer(good_token()))
    assert "session" not in response.headers.get("Set-Cookie", "")
    client.post("/session-login")
    assert client.get("/me").json == {"name": "alice"}


@needs_flask_login
def test_the_auth_endpoint_gives_the_token_user_a_realtime_token() -> None:
    app = login_app()
    response = app.test_client().get("/user/auth", headers=bearer(good_token()))
    assert node_verify(response.json["token"], SECRET)["clientId"] == "alice"  # type: ignore[index]


def test_the_guide_has_the_snippets_these_tests_run() -> None:
    assert_runs(SNIPPETS)


@needs_flask_login
def test_the_guides_app_signs_requests_in(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("RELAYBOX_API_KEY", API_KEY)
    app: Flask = run_snippet(PAGE, SECTION, 0)["app"]
    client = app.test_client()
    assert client.get("/me", headers=bearer(good_token())).json == {"client_id": CLIENT_ID}
    assert client.get("/me").status_code == 401
    token = bad_tokens()["expired"]
    assert_refused(client.get("/me", headers=bearer(token)), EXPIRED_TOKEN, token)
