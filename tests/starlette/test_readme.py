"""The README's Starlette snippets, run as written and checked through Starlette itself.

Each snippet is taken from README.rst (never copied here) and executed; the app it builds
answers real ASGI requests (httpx's ASGI transport), its session cookie comes from its own
``SessionMiddleware`` through a login route the test adds, and every token is checked by
Node's jsonwebtoken with the secret of the snippet's own key.
"""

from __future__ import annotations

import logging
from typing import Any

import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from relaybox_integrations.starlette import MissingMiddlewareError
from tests.starlette.asgi import app_with, as_user, call
from tests.support.readme import code_blocks, run_snippet
from tests.support.responses import assert_json_error, token_claims
from tests.support.verifier import node_verify

SECTION = "Starlette"
#: What a browser client (or an attacker) may send to claim another identity.
SPOOFED = {"X-Client-Id": "admin"}
SPOOFED_URL = "/user/auth?clientId=admin"


def secret_of(namespace: dict[str, Any]) -> str:
    """The secret half of the snippet's ``RELAYBOX_API_KEY``: what signs its tokens."""
    return str(namespace["RELAYBOX_API_KEY"].split(":", 1)[1])


async def login(request: Request) -> Response:
    """What the app's login view does once the password checks out: the session's username."""
    request.session["username"] = (await request.form())["username"]
    return Response(status_code=204)


def with_login(app: Starlette) -> Starlette:
    """``app`` plus a ``POST /login`` route, so its own session middleware holds the user."""
    app.router.routes.append(Route("/login", login, methods=["POST"]))
    return app


def log_in(app: Starlette, username: str) -> dict[str, str]:
    """Headers carrying the session cookie ``app`` set for ``username``."""
    response = call(app, "POST", "/login", data={"username": username})
    assert response.status_code == 204, response.text
    return {"Cookie": f"session={response.cookies['session']}"}


def test_the_section_has_the_three_snippets_these_tests_run() -> None:
    # Keeps the indexes below honest when the README gains or loses a block.
    assert len(code_blocks(SECTION)) == 3


@pytest.fixture
def first(monkeypatch: pytest.MonkeyPatch) -> dict[str, Any]:
    """The first snippet's globals, with its development session key."""
    monkeypatch.delenv("SESSION_SECRET_KEY", raising=False)
    return run_snippet(SECTION, 0)


def test_session_user_gets_a_token_and_anonymous_a_401(first: dict[str, Any]) -> None:
    app = with_login(first["app"])
    secret = secret_of(first)
    assert app.url_path_for("relaybox_auth") == "/user/auth"

    for method in ("GET", "POST"):
        anonymous = call(app, method, SPOOFED_URL, headers=SPOOFED)
        assert_json_error(anonymous, 401, "not_authenticated")
        assert secret not in anonymous.text
    forged = call(app, "GET", "/user/auth", headers={"Cookie": "session=e30=.forged.sig"})
    assert_json_error(forged, 401, "not_authenticated")

    alice = log_in(app, "alice")
    get = call(app, "GET", SPOOFED_URL, headers={**alice, **SPOOFED})
    post = call(app, "POST", SPOOFED_URL, headers={**alice, **SPOOFED}, json={"clientId": "admin"})
    for response in (get, post):
        claims = token_claims(response, secret)
        assert claims["clientId"] == "alice"
        assert claims["publicKey"] == first["RELAYBOX_API_KEY"].split(":", 1)[0]
        assert claims["exp"] - claims["iat"] == 900

    assert call(app, "OPTIONS", "/user/auth", headers=alice).status_code == 204
    refused = call(app, "PUT", "/user/auth", headers=alice)
    assert_json_error(refused, 405, "method_not_allowed")
    assert refused.headers["allow"] == "GET, POST, OPTIONS"


def test_hooks_set_permissions_refuse_and_audit(caplog: pytest.LogCaptureFixture) -> None:
    namespace = run_snippet(SECTION, 1)
    app = app_with(namespace["routes"])  # a login backend in front, as the snippet assumes
    secret = secret_of(namespace)

    with caplog.at_level(logging.INFO, logger="audit"):
        response = call(app, "GET", SPOOFED_URL, headers={**as_user("alice"), **SPOOFED})
        claims = token_claims(response, secret)
        refused = call(app, "POST", "/user/auth", headers=as_user("mallory"))
        anonymous = call(app, "GET", "/user/auth")

    assert claims["clientId"] == "alice"
    assert claims["permissions"] == {"user:alice:*": ["*"], "lobby": ["subscribe", "presence"]}
    assert claims["exp"] - claims["iat"] == 600
    assert assert_json_error(refused, 403, "forbidden")["message"] == (
        "Your account cannot use chat."
    )
    assert_json_error(anonymous, 401, "not_authenticated")
    # One line, for the one token minted: not for the refused or the anonymous request.
    messages = [record.getMessage() for record in caplog.records if record.name == "audit"]
    assert messages == ["Relaybox token for alice, 600 s"]
    assert response.json()["token"] not in caplog.text
    assert secret not in caplog.text


@pytest.fixture
def third(first: dict[str, Any]) -> dict[str, Any]:
    """The third snippet, run in the first one's namespace as the README says it continues it."""
    first_app = first["app"]
    namespace = run_snippet(SECTION, 2, first)
    assert namespace["app"] is not first_app
    with_login(namespace["app"])
    return namespace


def test_bootstrap_mints_for_the_session_user(third: dict[str, Any]) -> None:
    app = third["app"]
    secret = secret_of(third)
    alice = log_in(app, "alice")

    bootstrap = call(app, "GET", "/bootstrap?clientId=admin", headers={**alice, **SPOOFED})
    assert bootstrap.status_code == 200, bootstrap.text
    assert set(bootstrap.json()) == {"relayboxToken"}
    claims = node_verify(bootstrap.json()["relayboxToken"], secret)
    assert claims["clientId"] == "alice"
    assert claims["exp"] - claims["iat"] == 900

    # The routes and the middleware share the one issuer: the endpoint still answers.
    response = call(app, "POST", SPOOFED_URL, headers={**alice, **SPOOFED})
    assert token_claims(response, secret)["clientId"] == "alice"
    assert_json_error(call(app, "GET", "/user/auth"), 401, "not_authenticated")


def test_bootstrap_mints_nothing_for_anonymous_visitors(third: dict[str, Any]) -> None:
    # The issuer refuses anonymous users (allow_anonymous is False), so the page handler
    # minting with it must not hand them a token either.
    response = call(third["app"], "GET", "/bootstrap")
    minted = response.status_code == 200 and response.json().get("relayboxToken") is not None
    assert not minted, (
        "README's Starlette /bootstrap snippet minted a token with no identity for an "
        "anonymous visitor, whom /user/auth answers 401"
    )


def test_bootstrap_without_relaybox_middleware_says_what_to_add(
    third: dict[str, Any],
) -> None:
    app = Starlette(routes=[Route("/bootstrap", third["bootstrap"])])
    with pytest.raises(MissingMiddlewareError, match=r"Middleware\(RelayBoxMiddleware"):
        call(app, "GET", "/bootstrap")
