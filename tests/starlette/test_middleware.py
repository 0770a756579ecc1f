"""RelayBoxMiddleware: the issuer in every request's scope, and the auth path answered."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.middleware.authentication import AuthenticationMiddleware
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import Route
from starlette.types import Message, Receive, Scope, Send

from relaybox_integrations import ConfigurationError
from relaybox_integrations.endpoint import default_client_id
from relaybox_integrations.starlette import (
    MissingMiddlewareError,
    RelayBoxIssuer,
    RelayBoxMiddleware,
    get_issuer,
    relaybox_routes,
)
from tests.starlette.asgi import HeaderBackend, as_user, call
from tests.support.servers import TEST_API_KEY, TEST_SECRET
from tests.support.verifier import node_verify


async def page_with_token(request: Request) -> Response:
    """A user's own handler minting a token (e.g. to embed in a server-rendered page)."""
    issuer = get_issuer(request)
    token = issuer.relaybox.generate_token_response(client_id=default_client_id(request.user))
    return JSONResponse({"token": token.token})


async def hello(request: Request) -> Response:
    return PlainTextResponse("hello")


def app_with_middleware(**options: Any) -> Starlette:
    options.setdefault("api_key", TEST_API_KEY)
    return Starlette(
        routes=[Route("/page", page_with_token), Route("/hello", hello)],
        middleware=[
            Middleware(AuthenticationMiddleware, backend=HeaderBackend()),
            Middleware(RelayBoxMiddleware, **options),
        ],
    )


def test_handlers_mint_tokens_with_the_configured_issuer() -> None:
    response = call(app_with_middleware(expires_in=120), "GET", "/page", headers=as_user("u1"))
    claims = node_verify(response.json()["token"], TEST_SECRET)
    assert claims["clientId"] == "u1"
    assert claims["exp"] - claims["iat"] == 120


def test_get_issuer_without_the_middleware_names_it() -> None:
    app = Starlette(routes=[Route("/page", page_with_token)])
    with pytest.raises(MissingMiddlewareError, match=r"Middleware\(RelayBoxMiddleware, api_key="):
        call(app, "GET", "/page")


def test_auth_path_is_answered_by_the_middleware_other_paths_pass_through() -> None:
    app = app_with_middleware(auth_path="/user/auth")
    token = call(app, "GET", "/user/auth", headers=as_user("u1")).json()["token"]
    assert node_verify(token, TEST_SECRET)["clientId"] == "u1"
    assert call(app, "GET", "/user/auth").status_code == 401
    assert call(app, "DELETE", "/user/auth").status_code == 405
    assert call(app, "OPTIONS", "/user/auth").status_code == 204
    assert call(app, "GET", "/hello").text == "hello"
    assert call(app, "GET", "/user/auth/more").status_code == 404


def test_auth_path_is_matched_below_the_root_path() -> None:
    app = app_with_middleware(auth_path="/user/auth")

    async def under_prefix() -> int:
        statuses: list[int] = []
        scope: Scope = {
            "type": "http",
            "method": "GET",
            "path": "/prefix/user/auth",
            "root_path": "/prefix",
            "headers": [(b"x-test-login", b"u1")],
            "query_string": b"",
        }

        async def receive() -> Message:
            return {"type": "http.request", "body": b"", "more_body": False}

        async def send(message: Message) -> None:
            if message["type"] == "http.response.start":
                statuses.append(message["status"])

        await app(scope, receive, send)
        return statuses[0]

    assert asyncio.run(under_prefix()) == 200


def test_middleware_before_authentication_names_the_order_fix() -> None:
    app = Starlette(
        middleware=[
            Middleware(RelayBoxMiddleware, api_key=TEST_API_KEY, auth_path="/user/auth"),
            Middleware(AuthenticationMiddleware, backend=HeaderBackend()),
        ],
    )
    with pytest.raises(MissingMiddlewareError, match="before RelayBoxMiddleware"):
        call(app, "GET", "/user/auth", headers=as_user("u1"))


def test_one_issuer_shared_by_middleware_and_routes() -> None:
    issuer = RelayBoxIssuer(api_key=TEST_API_KEY)
    seen: list[RelayBoxIssuer] = []

    async def which(request: Request) -> Response:
        seen.append(get_issuer(request))
        return PlainTextResponse("ok")

    app = Starlette(
        routes=[Route("/which", which), *relaybox_routes(issuer, path="/user/auth")],
        middleware=[
            Middleware(AuthenticationMiddleware, backend=HeaderBackend()),
            Middleware(RelayBoxMiddleware, issuer),
        ],
    )
    call(app, "GET", "/which")
    assert seen == [issuer]
    assert call(app, "GET", "/user/auth", headers=as_user("u1")).status_code == 200


def test_lifespan_passes_through_untouched() -> None:
    scopes: list[Scope] = []

    async def inner(scope: Scope, receive: Receive, send: Send) -> None:
        scopes.append(scope)

    middleware = RelayBoxMiddleware(inner, api_key=TEST_API_KEY)

    async def nothing() -> Message:
        return {}

    async def ignore(message: Message) -> None:
        return None

    asyncio.run(middleware({"type": "lifespan"}, nothing, ignore))
    assert scopes == [{"type": "lifespan"}]


@pytest.mark.parametrize("auth_path", ["user/auth", "", 7])
def test_bad_auth_path_fails_at_construction(auth_path: Any) -> None:
    async def inner(scope: Scope, receive: Receive, send: Send) -> None:
        raise AssertionError("not called")

    with pytest.raises(ConfigurationError, match="auth_path: expected a path") as caught:
        RelayBoxMiddleware(inner, api_key=TEST_API_KEY, auth_path=auth_path)
    assert caught.value.setting == "auth_path"


def test_the_middleware_closes_the_publishing_client_at_shutdown() -> None:
    """Through the application's lifespan, as uvicorn runs it."""
    closed: list[bool] = []
    issuer = RelayBoxIssuer(api_key=TEST_API_KEY)
    original = issuer.relaybox.aclose

    async def aclose() -> None:
        closed.append(True)
        await original()

    issuer.relaybox.aclose = aclose  # type: ignore[method-assign]
    app = Starlette(middleware=[Middleware(RelayBoxMiddleware, issuer)])

    async def lifespan() -> None:
        messages = iter([{"type": "lifespan.startup"}, {"type": "lifespan.shutdown"}])
        sent: list[str] = []

        async def receive() -> Any:
            return next(messages)

        async def send(message: Any) -> None:
            sent.append(message["type"])

        await app({"type": "lifespan", "asgi": {"version": "3.0"}}, receive, send)
        assert sent == ["lifespan.startup.complete", "lifespan.shutdown.complete"]

    asyncio.run(lifespan())
    assert closed == [True]
