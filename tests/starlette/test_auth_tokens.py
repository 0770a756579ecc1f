"""Starlette requests signed in by a Relaybox user's auth token: ``RelayBoxAuthBackend`` under
Starlette's ``AuthenticationMiddleware``, through httpx against the ASGI app."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

import pytest
from starlette.applications import Starlette
from starlette.authentication import AuthenticationError, requires
from starlette.middleware import Middleware
from starlette.middleware.authentication import AuthenticationMiddleware
from starlette.requests import HTTPConnection, Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from relaybox_integrations import ConfigurationError, RelayBox
from relaybox_integrations.auth_tokens import (
    CHALLENGE,
    EXPIRED_TOKEN,
    INVALID_TOKEN,
    NO_USER,
    RelayBoxUser,
)
from relaybox_integrations.starlette import (
    RelayBoxAuthBackend,
    RelayBoxCredentials,
    RelayBoxIssuer,
    relaybox_routes,
)
from tests.starlette.asgi import call
from tests.support.auth_tokens import API_KEY, CLIENT_ID, SECRET, USER_ID, bad_tokens, good_token
from tests.support.snippets import assert_runs, run_snippet
from tests.support.verifier import node_verify

PAGE = "docs/guides/starlette.rst"
SNIPPETS = {("docs/guides/starlette.rst", "Relaybox users' auth tokens", "python"): 1}


@dataclass
class Member:
    """The application's own user."""

    name: str
    is_active: bool = True
    is_authenticated = True

    @property
    def identity(self) -> str:
        return self.name


MEMBERS = {CLIENT_ID: Member("alice")}


def load_member(relaybox_user: RelayBoxUser) -> Member | None:
    return MEMBERS.get(relaybox_user.client_id)


async def whoami(request: Request) -> JSONResponse:
    auth = request.auth
    return JSONResponse(
        {
            "authenticated": request.user.is_authenticated,
            "user": type(request.user).__name__,
            "name": getattr(request.user, "name", None),
            "scopes": list(auth.scopes),
            "relaybox_user_id": (
                auth.relaybox_user.user_id if isinstance(auth, RelayBoxCredentials) else None
            ),
        }
    )


@requires("authenticated")
async def private(request: Request) -> JSONResponse:
    return JSONResponse({"ok": True})


def app_with(backend: RelayBoxAuthBackend, **middleware: Any) -> Starlette:
    issuer = RelayBoxIssuer(api_key=API_KEY)
    return Starlette(
        routes=[
            Route("/whoami", whoami),
            Route("/private", private),
            *relaybox_routes(issuer, path="/user/auth"),
        ],
        middleware=[Middleware(AuthenticationMiddleware, backend=backend, **middleware)],
    )


@pytest.fixture
def app() -> Starlette:
    backend = RelayBoxAuthBackend(RelayBox(API_KEY), user_from_auth_token=load_member)
    return app_with(backend, on_error=backend.on_error)


def bearer(token: str) -> dict[str, bytes]:
    return {"Authorization": f"Bearer {token}".encode("latin-1")}  # as a client may send it


def assert_refused(response: Any, message: str, token: str = "") -> None:
    assert response.status_code == 401
    assert response.json() == {"error": "invalid_token", "message": message}
    assert response.headers["WWW-Authenticate"] == CHALLENGE
    assert response.headers["Cache-Control"] == "no-store"
    assert SECRET not in response.text
    assert not token or token not in response.text


def test_a_valid_token_is_the_hooks_user(app: Starlette) -> None:
    response = call(app, "GET", "/whoami", headers=bearer(good_token()))
    assert response.json() == {
        "authenticated": True,
        "user": "Member",
        "name": "alice",
        "scopes": ["authenticated"],
        "relaybox_user_id": USER_ID,
    }
    assert call(app, "GET", "/private", headers=bearer(good_token())).json() == {"ok": True}


def test_without_the_header_the_user_is_anonymous(app: Starlette) -> None:
    answer = call(app, "GET", "/whoami").json()
    assert (answer["authenticated"], answer["user"], answer["scopes"]) == (
        False,
        "UnauthenticatedUser",
        [],
    )
    assert call(app, "GET", "/private").status_code == 403  # requires(): Starlette's answer
    basic = {"Authorization": "Basic dXNlcjpwYXNz"}
    assert call(app, "GET", "/whoami", headers=basic).json()["authenticated"] is False


@pytest.mark.parametrize("kind", sorted(bad_tokens()))
def test_every_bad_token_is_a_json_401(app: Starlette, kind: str) -> None:
    token = bad_tokens()[kind]
    message = EXPIRED_TOKEN if kind == "expired" else INVALID_TOKEN
    assert_refused(call(app, "GET", "/whoami", headers=bearer(token)), message, token)


def test_a_malformed_header_or_an_unknown_user_is_a_json_401(app: Starlette) -> None:
    assert_refused(call(app, "GET", "/whoami", headers={"Authorization": "Bearer"}), INVALID_TOKEN)
    stranger = good_token(client_id="someone-else")
    assert_refused(call(app, "GET", "/whoami", headers=bearer(stranger)), NO_USER)
    MEMBERS["inactive"] = Member("bob", is_active=False)
    try:
        token = good_token(client_id="inactive")
        assert_refused(call(app, "GET", "/whoami", headers=bearer(token)), NO_USER)
    finally:
        del MEMBERS["inactive"]


def test_without_a_hook_the_relaybox_user_is_request_user_and_gets_realtime_tokens() -> None:
    backend = RelayBoxAuthBackend(RelayBoxIssuer(api_key=API_KEY))
    app = app_with(backend, on_error=backend.on_error)
    assert call(app, "GET", "/whoami", headers=bearer(good_token())).json()["user"] == (
        "RelayBoxUser"
    )
    # The auth endpoint behind the same middleware mints a realtime token for that user.
    response = call(app, "GET", "/user/auth", headers=bearer(good_token()))
    assert node_verify(response.json()["token"], SECRET)["clientId"] == CLIENT_ID


def test_an_async_hook_is_awaited() -> None:
    async def load(relaybox_user: RelayBoxUser) -> Member | None:
        return MEMBERS.get(relaybox_user.client_id)

    backend = RelayBoxAuthBackend(RelayBox(API_KEY), user_from_auth_token=load)
    app = app_with(backend, on_error=backend.on_error)
    assert call(app, "GET", "/whoami", headers=bearer(good_token())).json()["name"] == "alice"


def test_on_error_leaves_other_backends_errors_to_starlettes_answer() -> None:
    answer = RelayBoxAuthBackend.on_error(
        HTTPConnection({"type": "http", "headers": []}), AuthenticationError("other")
    )
    assert (answer.status_code, bytes(answer.body)) == (400, b"other")


def test_the_log_says_why_and_never_holds_the_token(
    app: Starlette, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    token = bad_tokens()["MFA challenge token"]
    call(app, "GET", "/whoami", headers=bearer(token))
    assert "token type 'tmp_token'" in caplog.text
    assert token not in caplog.text
    assert SECRET not in caplog.text


@pytest.mark.parametrize("relaybox", [None, API_KEY, object()])
def test_a_backend_without_the_configured_core_is_refused_at_start_up(relaybox: Any) -> None:
    with pytest.raises(ConfigurationError, match="relaybox: expected the configured RelayBox"):
        RelayBoxAuthBackend(relaybox)


def test_a_hook_that_is_not_callable_is_refused_at_start_up() -> None:
    with pytest.raises(ConfigurationError, match="user_from_auth_token: expected a function"):
        RelayBoxAuthBackend(RelayBox(API_KEY), user_from_auth_token="load_member")  # type: ignore[arg-type]


def test_the_guide_has_the_snippets_these_tests_run() -> None:
    assert_runs(SNIPPETS)


def test_the_guides_app_signs_requests_in(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("RELAYBOX_API_KEY", API_KEY)
    app = run_snippet(PAGE, "Relaybox users' auth tokens", 0)["app"]
    assert call(app, "GET", "/me", headers=bearer(good_token())).json() == {"username": "alice"}
    assert call(app, "GET", "/me").status_code == 403  # anonymous: requires() refuses
    assert_refused(call(app, "GET", "/me", headers=bearer(good_token("nobody"))), NO_USER)
    token = bad_tokens()["another app's key"]
    assert_refused(call(app, "GET", "/me", headers=bearer(token)), INVALID_TOKEN, token)
