"""In-process requests to ASGI apps, and the small apps the Starlette tests build.

httpx's own ASGI transport, not ``starlette.testclient``: the test client warns on recent
Starlette releases, and the suite turns warnings into errors.
"""

from __future__ import annotations

import asyncio
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
from starlette.requests import HTTPConnection
from starlette.routing import BaseRoute, Mount
from starlette.types import ASGIApp

from relaybox_integrations.testing import PublishOutbox
from tests.support.events_standin import EventsStandin
from tests.support.snippets import run_snippet

#: The header the test authentication backend trusts (standing in for a session cookie).
LOGIN_HEADER = "X-Test-Login"


def call(app: ASGIApp, method: str, url: str, **kwargs: Any) -> httpx.Response:
    """One request to ``app``; exceptions the app raises propagate to the test."""

    async def send() -> httpx.Response:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
            return await client.request(method, url, **kwargs)

    return asyncio.run(send())


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
