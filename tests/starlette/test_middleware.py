"""RelayBoxMiddleware: the issuer in every request's scope, and the auth and room access paths
answered (the room access contract runs through it too, in tests/contract)."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import pytest
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.middleware.authentication import AuthenticationMiddleware
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import Mount, Route
from starlette.types import ASGIApp, Message, Receive, Scope, Send

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
from tests.support.verifier import node_verify, node_verify_room_access


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


def under_root_path(app: ASGIApp, path: str, root_path: str = "/prefix") -> tuple[int, bytes]:
    """The status and body of a GET of ``path`` by u1, as a server mounting the app at
    ``root_path`` sends it (``path`` includes ``root_path``)."""

    async def request() -> tuple[int, bytes]:
        statuses: list[int] = []
        body = bytearray()
        scope: Scope = {
            "type": "http",
            "method": "GET",
            "path": path,
            "root_path": root_path,
            "headers": [(b"x-test-login", b"u1")],
            "query_string": b"",
        }

        async def receive() -> Message:
            return {"type": "http.request", "body": b"", "more_body": False}

        async def send(message: Message) -> None:
            if message["type"] == "http.response.start":
                statuses.append(message["status"])
            else:
                body.extend(message.get("body", b""))

        await app(scope, receive, send)
        return statuses[0], bytes(body)

    return asyncio.run(request())


def test_auth_path_is_matched_below_the_root_path() -> None:
    app = app_with_middleware(auth_path="/user/auth")
    assert under_root_path(app, "/prefix/user/auth")[0] == 200


def can_join_room(request: Request, user: Any, client_id: str, room_id: str) -> bool:
    return room_id == f"team:{client_id}"


ROOMS = "/user/rooms/{room_id}/access"


def test_room_access_path_is_answered_by_the_middleware_other_paths_pass_through() -> None:
    app = app_with_middleware(
        auth_path="/user/auth", room_access_path=ROOMS, can_join_room=can_join_room
    )
    answer = call(app, "POST", "/user/rooms/team:u1/access", headers=as_user("u1"))
    claims = node_verify_room_access(answer.json()["token"], TEST_SECRET, "team:u1")
    assert (claims["roomId"], claims["clientId"]) == ("team:u1", "u1")
    assert call(app, "GET", "/user/rooms/team:u2/access", headers=as_user("u1")).status_code == 403
    assert call(app, "GET", "/user/rooms/team:u1/access").status_code == 401
    assert call(app, "GET", "/user/auth", headers=as_user("u1")).status_code == 200
    assert call(app, "GET", "/hello").text == "hello"
    for elsewhere in ("/user/rooms/team:u1", "/user/rooms//access", "/user/rooms/team:u1/access/"):
        assert call(app, "GET", elsewhere, headers=as_user("u1")).status_code == 404


def test_room_access_path_matches_the_whole_path_newlines_included() -> None:
    app = app_with_middleware(room_access_path=ROOMS, can_join_room=can_join_room)
    assert under_root_path(app, "/user/rooms/team:u1/access", "")[0] == 200
    # Not the path with a newline after it, though a regex's "$" would take that...
    assert under_root_path(app, "/user/rooms/team:u1/access\n", "")[0] == 404
    # ...and a newline in the room id reaches the endpoint, which refuses the id.
    status, body = under_root_path(app, "/user/rooms/team\nu1/access", "")
    assert (status, json.loads(body)["error"]) == (400, "invalid_room_id")


def test_room_access_path_is_matched_below_the_root_path() -> None:
    app = app_with_middleware(room_access_path=ROOMS, can_join_room=can_join_room)
    status, body = under_root_path(app, "/prefix/user/rooms/team:u1/access")
    assert status == 200
    claims = node_verify_room_access(json.loads(body)["token"], TEST_SECRET, "team:u1")
    assert claims["clientId"] == "u1"
    assert under_root_path(app, "/prefix/user/rooms/team:u2/access")[0] == 403
    assert under_root_path(app, "/prefix/user/auth")[0] == 404  # no auth_path: passed through


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


@pytest.mark.parametrize(
    "room_access_path",
    [
        "user/rooms/{room_id}/access",
        "/user/rooms/access",
        "/user/rooms/{room_id}/{room_id}",
        "/user/rooms/{room_id:path}/access",
        "/user/{team}/rooms/{room_id}/access",
        "/user/rooms/{room_id}}",
        "",
        7,
    ],
)
def test_bad_room_access_path_fails_at_construction(room_access_path: Any) -> None:
    async def inner(scope: Scope, receive: Receive, send: Send) -> None:
        raise AssertionError("not called")

    expected = r"room_access_path: expected a path starting with '/' with exactly one \{room_id\}"
    with pytest.raises(ConfigurationError, match=expected) as caught:
        RelayBoxMiddleware(
            inner,
            api_key=TEST_API_KEY,
            can_join_room=can_join_room,
            room_access_path=room_access_path,
        )
    assert caught.value.setting == "room_access_path"
    assert repr(room_access_path) in str(caught.value)


@pytest.mark.parametrize("with_issuer", [False, True], ids=["options", "issuer"])
def test_room_access_path_without_can_join_room_fails_at_construction(with_issuer: bool) -> None:
    async def inner(scope: Scope, receive: Receive, send: Send) -> None:
        raise AssertionError("not called")

    given: dict[str, Any] = (
        {"issuer": RelayBoxIssuer(api_key=TEST_API_KEY)}
        if with_issuer
        else {"api_key": TEST_API_KEY}
    )
    with pytest.raises(
        ConfigurationError, match=r"room_access_path needs .* can_join_room"
    ) as caught:
        RelayBoxMiddleware(inner, room_access_path=ROOMS, **given)
    assert caught.value.setting == "room_access_path"


def test_a_can_join_room_hook_without_room_access_path_leaves_the_room_to_the_routes() -> None:
    issuer = RelayBoxIssuer(api_key=TEST_API_KEY, can_join_room=can_join_room)
    app = Starlette(
        routes=[Mount("/user", routes=relaybox_routes(issuer))],
        middleware=[
            Middleware(AuthenticationMiddleware, backend=HeaderBackend()),
            Middleware(RelayBoxMiddleware, issuer, auth_path="/elsewhere/auth"),
        ],
    )
    answer = call(app, "GET", "/user/rooms/team:u1/access", headers=as_user("u1"))
    assert node_verify_room_access(answer.json()["token"], TEST_SECRET, "team:u1")
    assert call(app, "GET", "/elsewhere/auth", headers=as_user("u1")).status_code == 200


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
