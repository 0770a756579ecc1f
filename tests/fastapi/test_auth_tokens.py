"""FastAPI routes depending on a Relaybox user's auth token: ``RelayBoxBearer``, through httpx
against the ASGI app."""

# No "from __future__ import annotations": FastAPI reads the routes' annotations at runtime,
# and they refer to the closure's dependencies.

from dataclasses import dataclass
from typing import Annotated, Any

import pytest
from fastapi import Depends, FastAPI, Request
from starlette.middleware import Middleware

from relaybox_integrations import ConfigurationError, RelayBox
from relaybox_integrations.auth_tokens import (
    CHALLENGE,
    EXPIRED_TOKEN,
    INVALID_TOKEN,
    NO_USER,
    RelayBoxUser,
)
from relaybox_integrations.fastapi import RelayBoxBearer, RelayBoxIssuer, RelayBoxMiddleware
from tests.starlette.asgi import call
from tests.support.auth_tokens import API_KEY, CLIENT_ID, SECRET, USER_ID, bad_tokens, good_token
from tests.support.snippets import assert_runs, run_snippet

PAGE = "docs/guides/fastapi.rst"
SNIPPETS = {("docs/guides/fastapi.rst", "Relaybox users' auth tokens", "python"): 1}


@dataclass
class Member:
    name: str


MEMBERS = {CLIENT_ID: Member("alice")}


async def load_member(relaybox_user: RelayBoxUser) -> Member | None:
    return MEMBERS.get(relaybox_user.client_id)


def build(relaybox_user: RelayBoxBearer, anyone: RelayBoxBearer, **options: Any) -> FastAPI:
    app = FastAPI(**options)

    @app.get("/me")
    async def me(request: Request, member: Annotated[Any, Depends(relaybox_user)]) -> Any:
        return {
            "user": type(member).__name__,
            "name": getattr(member, "name", None),
            "relaybox_user_id": request.state.relaybox_user.user_id,
        }

    @app.get("/hello")
    def hello(member: Annotated[Any, Depends(anyone)]) -> Any:
        return {"hello": "stranger" if member is None else member.name}

    return app


@pytest.fixture
def app() -> FastAPI:
    relaybox = RelayBox(API_KEY)
    return build(
        RelayBoxBearer(relaybox, user_from_auth_token=load_member),
        RelayBoxBearer(relaybox, user_from_auth_token=load_member, auto_error=False),
    )


def bearer(token: str) -> dict[str, bytes]:
    return {"Authorization": f"Bearer {token}".encode("latin-1")}


def assert_refused(response: Any, message: str, token: str = "") -> None:
    assert response.status_code == 401
    assert response.json() == {"detail": message}
    assert response.headers["WWW-Authenticate"] == CHALLENGE
    assert SECRET not in response.text
    assert not token or token not in response.text


def test_a_valid_token_is_the_hooks_user(app: FastAPI) -> None:
    response = call(app, "GET", "/me", headers=bearer(good_token()))
    assert response.json() == {"user": "Member", "name": "alice", "relaybox_user_id": USER_ID}
    assert call(app, "GET", "/hello", headers=bearer(good_token())).json() == {"hello": "alice"}


def test_without_the_header_401_or_anonymous_with_auto_error_off(app: FastAPI) -> None:
    response = call(app, "GET", "/me")
    assert (response.status_code, response.json()) == (401, {"detail": "Not authenticated"})
    assert response.headers["WWW-Authenticate"] == "Bearer"
    assert call(app, "GET", "/hello").json() == {"hello": "stranger"}
    basic = {"Authorization": "Basic dXNlcjpwYXNz"}
    assert call(app, "GET", "/hello", headers=basic).json() == {"hello": "stranger"}


@pytest.mark.parametrize("kind", sorted(bad_tokens()))
def test_every_bad_token_is_a_401_even_where_anonymous_is_welcome(app: FastAPI, kind: str) -> None:
    token = bad_tokens()[kind]
    message = EXPIRED_TOKEN if kind == "expired" else INVALID_TOKEN
    for path in ("/me", "/hello"):
        assert_refused(call(app, "GET", path, headers=bearer(token)), message, token)


def test_an_unknown_user_or_a_malformed_header_is_a_401(app: FastAPI) -> None:
    assert_refused(call(app, "GET", "/me", headers=bearer(good_token("stranger"))), NO_USER)
    assert_refused(call(app, "GET", "/me", headers={"Authorization": "Bearer a b"}), INVALID_TOKEN)


def test_without_a_core_the_middlewares_is_used_and_the_user_is_the_relaybox_user() -> None:
    issuer = RelayBoxIssuer(api_key=API_KEY)
    app = build(
        RelayBoxBearer(),
        RelayBoxBearer(auto_error=False),
        middleware=[Middleware(RelayBoxMiddleware, issuer=issuer)],
    )
    answer = call(app, "GET", "/me", headers=bearer(good_token())).json()
    assert answer == {"user": "RelayBoxUser", "name": None, "relaybox_user_id": USER_ID}


def test_openapi_shows_the_bearer_scheme(app: FastAPI) -> None:
    schema = call(app, "GET", "/openapi.json").json()
    assert schema["components"]["securitySchemes"]["RelayBox"] == {
        "type": "http",
        "scheme": "bearer",
        "bearerFormat": "JWT",
        "description": "A Relaybox user's auth token.",
    }
    assert schema["paths"]["/me"]["get"]["security"] == [{"RelayBox": []}]


def test_a_bad_core_is_refused_at_start_up() -> None:
    with pytest.raises(ConfigurationError, match="relaybox: expected the configured RelayBox"):
        RelayBoxBearer(API_KEY)


def test_the_guide_has_the_snippets_these_tests_run() -> None:
    assert_runs(SNIPPETS)


def test_the_guides_route_answers_the_tokens_user(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("RELAYBOX_API_KEY", API_KEY)
    app = run_snippet(PAGE, "Relaybox users' auth tokens", 0)["app"]
    response = call(app, "GET", "/me", headers=bearer(good_token()))
    assert response.json() == {"client_id": CLIENT_ID}
    assert call(app, "GET", "/me").status_code == 401
    token = bad_tokens()["wrong signature"]
    assert_refused(call(app, "GET", "/me", headers=bearer(token)), INVALID_TOKEN, token)
