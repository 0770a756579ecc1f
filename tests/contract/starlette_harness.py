"""The Starlette routes, RelayBoxMiddleware answering its paths itself, and the FastAPI router
under the contract."""

from __future__ import annotations

import asyncio
import importlib.util
from typing import Any

import httpx
from starlette.applications import Starlette
from starlette.authentication import AuthCredentials, AuthenticationBackend
from starlette.middleware import Middleware
from starlette.middleware.authentication import AuthenticationMiddleware
from starlette.requests import HTTPConnection, Request
from starlette.routing import Mount

from relaybox_integrations.starlette import (
    RelayBoxMiddleware,
    relaybox_routes,
    relaybox_webhook_routes,
)
from tests.support.servers import TEST_API_KEY

from . import users


class TestUserBackend(AuthenticationBackend):
    """``X-Test-User`` picks ``request.user``."""

    async def authenticate(self, conn: HTTPConnection) -> tuple[AuthCredentials, Any] | None:
        user = users.user_of(conn.headers.get(users.USER_HEADER))
        return None if user is None else (AuthCredentials(["authenticated"]), user)


def _hooks(options: users.Options) -> dict[str, Any]:
    """The issuer's keyword arguments for ``options``."""

    def audit(request: Any, user: Any, client_id: Any, expires_in: int, permissions: Any) -> None:
        options.audit.append(
            {
                "request": request,
                "user": user,
                "client_id": client_id,
                "expires_in": expires_in,
                "permissions": permissions,
            }
        )

    hooks: dict[str, Any] = {
        "api_key": TEST_API_KEY,
        "allow_anonymous": options.allow_anonymous,
        "token_issued": users.maybe_async(audit, options.async_hooks),
    }
    permissions = options.permissions
    if permissions is not None:
        hooks["get_permissions"] = users.maybe_async(
            lambda request, user, client_id: permissions(client_id), options.async_hooks
        )
    if options.identity is not None:
        hooks["client_id"] = users.maybe_async(options.identity, options.async_hooks)
    if options.can_join_room is not None:
        hooks["can_join_room"] = users.maybe_async(options.can_join_room, options.async_hooks)
    return hooks


def _deliverer(app: Any) -> users.Deliver:
    def deliver(method: str, body: bytes, headers: dict[str, str]) -> users.Answer:
        async def request() -> httpx.Response:
            transport = httpx.ASGITransport(app=app)
            async with httpx.AsyncClient(
                transport=transport, base_url="http://testserver"
            ) as client:
                return await client.request(
                    method, "/relaybox/webhooks", content=body, headers=headers
                )

        response = asyncio.run(request())
        return users.Answer.of(response, response.content)

    return deliver


def _room_sender(app: Any) -> users.RoomSend:
    def send(room_id: str, method: str, **kwargs: Any) -> users.Answer:
        return _sender(app, users.room_path("/user", room_id))(method, **kwargs)

    return send


def _sender(app: Any, path: str = "/user/auth") -> users.Send:
    def send(method: str, *, user: str | None = None, **kwargs: Any) -> users.Answer:
        headers = dict(kwargs.pop("headers", None) or {})
        if user is not None:
            headers[users.USER_HEADER] = user
        if isinstance(kwargs.get("data"), bytes):
            kwargs["content"] = kwargs.pop("data")

        async def request() -> httpx.Response:
            transport = httpx.ASGITransport(app=app)
            async with httpx.AsyncClient(
                transport=transport, base_url="http://testserver"
            ) as client:
                return await client.request(method, path, headers=headers, **kwargs)

        response = asyncio.run(request())
        return users.Answer.of(response, response.content)

    return send


class StarletteHarness:
    name = "starlette"

    def build(self, options: users.Options) -> users.Send:
        app = Starlette(
            routes=[Mount("/user", routes=relaybox_routes(**_hooks(options)))],
            middleware=[Middleware(AuthenticationMiddleware, backend=TestUserBackend())],
        )
        return _sender(app)

    def build_room_access(self, options: users.Options) -> users.RoomSend:
        app = Starlette(
            routes=[Mount("/user", routes=relaybox_routes(**_hooks(options)))],
            middleware=[Middleware(AuthenticationMiddleware, backend=TestUserBackend())],
        )
        return _room_sender(app)

    def build_webhooks(self, handlers: users.Handlers) -> users.Deliver:
        routes = relaybox_webhook_routes(signing_key=users.WEBHOOK_SIGNING_KEY, handlers=handlers)
        return _deliverer(Starlette(routes=routes))


class StarletteMiddlewareHarness:
    """``RelayBoxMiddleware`` answering both endpoints itself, in front of an app with no
    route of its own; it serves no webhooks."""

    name = "starlette-middleware"

    def build(self, options: users.Options) -> users.Send:
        return _sender(self._app(options))

    def build_room_access(self, options: users.Options) -> users.RoomSend:
        return _room_sender(self._app(options))

    def _app(self, options: users.Options) -> Starlette:
        hooks = _hooks(options)
        if "can_join_room" in hooks:  # without the hook, room_access_path is refused
            hooks["room_access_path"] = "/user/rooms/{room_id}/access"
        return Starlette(
            middleware=[
                Middleware(AuthenticationMiddleware, backend=TestUserBackend()),
                Middleware(RelayBoxMiddleware, auth_path="/user/auth", **hooks),
            ],
        )


class FastAPIHarness:
    name = "fastapi"

    def build(self, options: users.Options) -> users.Send:
        from fastapi import FastAPI

        from relaybox_integrations.fastapi import relaybox_router

        def current_user(request: Request) -> Any:
            return users.user_of(request.headers.get(users.USER_HEADER))

        app = FastAPI()
        app.include_router(
            relaybox_router(dependency=current_user, **_hooks(options)), prefix="/user"
        )
        return _sender(app)

    def build_room_access(self, options: users.Options) -> users.RoomSend:
        from fastapi import FastAPI

        from relaybox_integrations.fastapi import relaybox_router

        def current_user(request: Request) -> Any:
            return users.user_of(request.headers.get(users.USER_HEADER))

        app = FastAPI()
        app.include_router(
            relaybox_router(dependency=current_user, **_hooks(options)), prefix="/user"
        )
        return _room_sender(app)

    def build_webhooks(self, handlers: users.Handlers) -> users.Deliver:
        from fastapi import FastAPI

        from relaybox_integrations.fastapi import relaybox_webhook_router

        app = FastAPI()
        app.include_router(
            relaybox_webhook_router(signing_key=users.WEBHOOK_SIGNING_KEY, handlers=handlers)
        )
        return _deliverer(app)


def harnesses() -> list[Any]:
    found: list[Any] = [StarletteHarness(), StarletteMiddlewareHarness()]
    if importlib.util.find_spec("fastapi") is not None:
        found.append(FastAPIHarness())
    return found
