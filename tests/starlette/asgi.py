"""In-process requests to ASGI apps, the small apps the Starlette tests build, and the checks
the Starlette and FastAPI guides' tests share (their snippets build the same endpoints).

httpx's own ASGI transport, not ``starlette.testclient``: the test client warns on recent
Starlette releases, and the suite turns warnings into errors.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

import httpx
import pytest
from starlette.applications import Starlette
from starlette.authentication import (
    AuthCredentials,
    AuthenticationBackend,
    BaseUser,
    SimpleUser,
)
from starlette.middleware import Middleware
from starlette.middleware.authentication import AuthenticationMiddleware
from starlette.requests import HTTPConnection, Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Mount, Route
from starlette.types import ASGIApp

from relaybox_integrations import sign_webhook
from relaybox_integrations.testing import PublishOutbox
from tests.support.events_standin import EventsStandin
from tests.support.responses import assert_json_error, token_claims
from tests.support.snippets import run_snippet
from tests.support.verifier import node_verify

#: The header the test authentication backend trusts (standing in for a session cookie).
LOGIN_HEADER = "X-Test-Login"
#: What a browser client (or an attacker) may send to claim another identity.
SPOOFED = {"X-Client-Id": "admin"}
SPOOFED_URL = "/user/auth?clientId=admin"


def call(app: ASGIApp, method: str, url: str, **kwargs: Any) -> httpx.Response:
    """One request to ``app``; exceptions the app raises propagate to the test."""

    async def send() -> httpx.Response:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
            return await client.request(method, url, **kwargs)

    return asyncio.run(send())


def secret_of(namespace: dict[str, Any]) -> str:
    """The secret half of a snippet's ``RELAYBOX_API_KEY``: what signs its tokens."""
    return str(namespace["RELAYBOX_API_KEY"].split(":", 1)[1])


def with_login(app: Any, login: Callable[[Request], Awaitable[Response]]) -> Any:
    """``app`` plus ``login`` as ``POST /login`` (outside FastAPI's schema), so that the app's
    own session middleware holds the user."""
    app.router.routes.append(Route("/login", login, methods=["POST"]))
    return app


def continued(
    page: str,
    section: str,
    earlier: dict[str, Any],
    login: Callable[[Request], Awaitable[Response]],
) -> dict[str, Any]:
    """A snippet that the guide says continues an earlier one, run in the earlier one's
    namespace: it builds its own app, to which ``login`` is added."""
    earlier_app = earlier["app"]
    namespace = run_snippet(page, section, 0, earlier)
    assert namespace["app"] is not earlier_app
    with_login(namespace["app"], login)
    return namespace


def log_in(app: ASGIApp, **request: Any) -> dict[str, str]:
    """Headers carrying the session cookie ``app``'s ``POST /login`` sets for ``request``."""
    response = call(app, "POST", "/login", **request)
    assert response.status_code == 204, response.text
    return {"Cookie": f"session={response.cookies['session']}"}


def assert_tokens_for_the_session_user(
    namespace: dict[str, Any], session: dict[str, str], client_id: str
) -> None:
    """A guide's auth endpoint mints 15-minute tokens with the snippet's key for the session's
    user, whatever the request claims, on GET and POST; OPTIONS is 204, PUT 405."""
    app, secret = namespace["app"], secret_of(namespace)
    get = call(app, "GET", SPOOFED_URL, headers={**session, **SPOOFED})
    post = call(
        app, "POST", SPOOFED_URL, headers={**session, **SPOOFED}, json={"clientId": "admin"}
    )
    for response in (get, post):
        claims = token_claims(response, secret)
        assert claims["clientId"] == client_id
        assert claims["publicKey"] == namespace["RELAYBOX_API_KEY"].split(":", 1)[0]
        assert claims["exp"] - claims["iat"] == 900
    assert call(app, "OPTIONS", "/user/auth", headers=session).status_code == 204
    refused = call(app, "PUT", "/user/auth", headers=session)
    assert_json_error(refused, 405, "method_not_allowed")
    assert refused.headers["allow"] == "GET, POST, OPTIONS"


def assert_bootstrap_mints_for_the_session_user(
    namespace: dict[str, Any], session: dict[str, str], client_id: str
) -> None:
    """A guide's ``/bootstrap`` page handler mints a token for the session's user, not for
    whom the query names; the auth endpoint beside it, sharing its issuer, still answers."""
    app, secret = namespace["app"], secret_of(namespace)
    bootstrap = call(app, "GET", "/bootstrap?clientId=admin", headers={**session, **SPOOFED})
    assert bootstrap.status_code == 200, bootstrap.text
    assert set(bootstrap.json()) == {"relayboxToken"}
    claims = node_verify(bootstrap.json()["relayboxToken"], secret)
    assert claims["clientId"] == client_id
    assert claims["exp"] - claims["iat"] == 900
    response = call(app, "POST", SPOOFED_URL, headers={**session, **SPOOFED})
    assert token_claims(response, secret)["clientId"] == client_id
    assert_json_error(call(app, "GET", "/user/auth"), 401, "not_authenticated")


def assert_bootstrap_mints_nothing_for_anonymous_visitors(app: ASGIApp) -> None:
    """The issuer refuses anonymous users (allow_anonymous is False), so a guide's page
    handler minting with it must not hand them a token either."""
    anonymous = call(app, "GET", "/bootstrap")
    minted = anonymous.status_code == 200 and anonymous.json().get("relayboxToken") is not None
    assert not minted, (
        "the guide's /bootstrap snippet minted a token with no identity for an anonymous "
        "visitor, whom /user/auth answers 401"
    )


def deliver_signed(
    app: ASGIApp, signing_key: str, event: str, event_id: str, client_id: str = "alice"
) -> httpx.Response:
    """One signed delivery of ``event`` to ``app``'s webhook endpoint."""
    delivery = sign_webhook(
        event, {}, signing_key, event_id=event_id, session={"clientId": client_id}
    )
    return call(app, "POST", "/relaybox/webhooks", content=delivery.body, headers=delivery.headers)


def assert_publishes_the_message(app: ASGIApp, standin: EventsStandin, **request: Any) -> None:
    """A guide's ``POST /messages`` publishes ``{"text": "hi"}`` and answers its request id."""
    response = call(app, "POST", "/messages", **request)
    assert response.status_code == 200, response.text
    (published,) = standin.published
    assert (published.room_id, published.event, published.data) == (
        "chat:lobby", "message", {"text": "hi"}
    )  # fmt: skip
    assert response.json() == {"requestId": published.request_id}


def as_user(client_id: str) -> dict[str, str]:
    """Headers that log the test backend in as ``client_id``."""
    return {LOGIN_HEADER: client_id}


class HeaderBackend(AuthenticationBackend):
    """Test login: ``request.user`` is a user whose identity is the login header's value."""

    def __init__(self, user_class: type[BaseUser] = SimpleUser) -> None:
        self.user_class = user_class

    async def authenticate(self, conn: HTTPConnection) -> tuple[AuthCredentials, BaseUser] | None:
        name = conn.headers.get(LOGIN_HEADER)
        if name is None:
            return None
        return AuthCredentials(["authenticated"]), self.user_class(name)  # type: ignore[call-arg]


def app_with(
    routes: list[BaseRoute],
    *,
    middleware: list[Middleware] | None = None,
    backend: AuthenticationBackend | None = None,
    authentication: bool = True,
) -> Starlette:
    """A Starlette app with ``routes`` under ``/user`` and the test login in front."""
    stack = [Middleware(AuthenticationMiddleware, backend=backend or HeaderBackend())]
    return Starlette(
        routes=[Mount("/user", routes=routes)],
        middleware=(stack if authentication else []) + (middleware or []),
    )


def check_the_testing_snippet(
    page: str,
    publishing: tuple[ASGIApp, EventsStandin],
    webhooks_app: ASGIApp,
    signing_key: str,
    outbox: PublishOutbox,
    bare_app: ASGIApp,
) -> None:
    """The tests a guide's "Testing" snippet shows pass against the guide's own apps (the
    publishes captured, none sent), and fail against a bare app and a wrong signing key."""
    tests = run_snippet(page, "Testing", 0)
    publishes = tests["test_posting_a_message_publishes_it"]
    delivers = tests["test_relaybox_reaches_the_webhook_endpoint"]
    app, standin = publishing
    asyncio.run(publishes(app, outbox))
    asyncio.run(delivers(webhooks_app, signing_key))
    assert standin.requests == []  # captured, not sent

    outbox.clear()
    with pytest.raises(AssertionError):
        asyncio.run(publishes(bare_app, outbox))
    with pytest.raises(KeyError):  # a 403 JSON error has no "status"
        asyncio.run(delivers(webhooks_app, "another-webhooks-signing-key"))
