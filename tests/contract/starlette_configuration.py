"""Starlette under the configuration contract: keyword arguments, and the debug traceback
Starlette serves with ``debug=True`` (HTML to a browser, plain text to curl)."""

from __future__ import annotations

import asyncio
import traceback
from collections.abc import Callable
from typing import Any

import httpx
import pytest
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Mount, Route

from relaybox_integrations import ConfigurationError, ShortSecretWarning
from relaybox_integrations.config import OPTIONS, Option
from relaybox_integrations.starlette import (
    RelayBoxIssuer,
    RelayBoxMiddleware,
    RelayBoxWebhooks,
    get_issuer,
    relaybox_routes,
)
from tests.support.servers import TEST_API_KEY

from .configuration import SIGNING_KEY, Built, LoggedIn, fail

_WEBHOOK_OPTIONS = {option.name for option in OPTIONS if option.part == "webhooks"}


async def fail_view(request: Request) -> Response:
    """Mints a token, then fails with the Relaybox objects in its local variables."""
    issuer = get_issuer(request)
    relaybox = issuer.relaybox
    token_response = relaybox.generate_token_response(client_id="1")
    answer = issuer.endpoint.respond("GET", None, lambda: "1")
    raise RuntimeError(f"failed after {token_response!r}, {answer.status}, {issuer!r}")


def get(app: Any, path: str, **headers: str) -> httpx.Response:
    """One in-process GET; what the app raises after answering (as Starlette's error
    middleware re-raises for the server's log) stays out of the test."""

    async def send() -> httpx.Response:
        transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
            return await client.get(path, headers=headers)

    return asyncio.run(send())


def debug_pages(app: Any, path: str) -> list[str]:
    """The debug traceback for ``path``, as a browser (HTML) and as curl (text) get it."""
    pages = []
    for accept in ("text/html", "*/*"):
        response = get(app, path, Accept=accept)
        assert response.status_code == 500, response.text[:2000]
        assert "Traceback" in response.text or "traceback" in response.text
        pages.append(response.text)
    return pages


def refused(build: Callable[[], object], setting: str) -> list[str]:
    with pytest.raises(ConfigurationError) as raised:
        build()
    assert raised.value.setting == setting
    return traceback.format_exception(raised.value)


def split_options(option: Option, value: object) -> tuple[dict[str, Any], dict[str, Any]]:
    """The issuer's and the webhooks' keyword arguments, ``option`` set to ``value``."""
    values: dict[str, Any] = {"api_key": TEST_API_KEY, "signing_key": SIGNING_KEY}
    values[option.name] = value
    webhook_values = {key: values.pop(key) for key in list(values) if key in _WEBHOOK_OPTIONS}
    return values, webhook_values


class StarletteConfiguration:
    name = "starlette"
    hooks = ("load_user", "client_id", "get_permissions", "token_issued")
    needs_db = False

    def app(self, **hooks: Callable[..., Any]) -> Starlette:
        hooks.setdefault("load_user", lambda request: LoggedIn())
        issuer = RelayBoxIssuer(api_key=TEST_API_KEY, **hooks)
        return Starlette(
            debug=True,
            routes=[Route("/fail", fail_view), Mount("/user", routes=relaybox_routes(issuer))],
            middleware=[Middleware(RelayBoxMiddleware, issuer=issuer)],
        )

    def build(self, option: Option, value: object) -> Built:
        values, webhook_values = split_options(option, value)
        issuer = RelayBoxIssuer(**values)
        webhooks = RelayBoxWebhooks(**webhook_values)
        return Built(issuer.relaybox, issuer.endpoint, webhooks.endpoint)

    def assert_names(self, error: BaseException, option: Option) -> None:
        assert getattr(error, "setting", None) == option.name

    def malformed_key(self, key: str) -> list[str]:
        builders: list[Callable[[], object]] = [
            lambda: RelayBoxIssuer(api_key=key),
            lambda: relaybox_routes(api_key=key),
            lambda: RelayBoxMiddleware(Starlette(), api_key=key),
        ]
        return [text for build in builders for text in refused(build, "api_key")]

    def bad_option(self, option: Option, value: object) -> list[str]:
        return refused(
            lambda: relaybox_routes(api_key=TEST_API_KEY, **{option.name: value}), option.name
        )

    def short_secret_as_error(self, key: str) -> list[str]:
        with pytest.raises(ShortSecretWarning) as raised:
            relaybox_routes(api_key=key)
        return traceback.format_exception(raised.value)

    def issue_token(self) -> str:
        response = get(self.app(), "/user/auth")
        assert response.status_code == 200
        return response.json()["token"]  # type: ignore[no-any-return]

    def public_objects(self) -> list[object]:
        issuer = RelayBoxIssuer(api_key=TEST_API_KEY)
        routes = relaybox_routes(issuer)
        return [
            issuer,
            issuer.relaybox,
            issuer.endpoint,
            routes,
            *[getattr(route, "app", route) for route in routes],
            RelayBoxMiddleware(Starlette(), issuer=issuer),
        ]

    def failing_hook_pages(self, hook: str) -> list[str]:
        pages = debug_pages(self.app(**{hook: fail}), "/user/auth")
        assert all("the hook failed" in page for page in pages)
        return pages

    def failing_view_pages(self) -> tuple[list[str], str]:
        return debug_pages(self.app(), "/fail"), "RelayBoxIssuer("


def configurations() -> list[StarletteConfiguration]:
    return [StarletteConfiguration()]
