"""Starlette and FastAPI: the API secret stays out of the debug traceback (HTML and plain
text), configuration errors, DEBUG logs and ``repr()``."""

from __future__ import annotations

import asyncio
import logging
import traceback
from collections.abc import Callable
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Mount, Route

from relaybox_integrations import ConfigurationError
from relaybox_integrations.fastapi import ErrorBody, TokenBody, relaybox_router
from relaybox_integrations.starlette import (
    RelayBoxIssuer,
    RelayBoxMiddleware,
    get_issuer,
    relaybox_routes,
)
from tests.hygiene.conftest import (
    MALFORMED_KEYS,
    assert_no_secret,
    assert_token_issue_logged_safely,
)
from tests.support.servers import TEST_API_KEY


def fail(*args: object) -> None:
    raise RuntimeError("the hook failed")


async def fail_view(request: Request) -> Response:
    """Mints a token, then fails with the Relaybox objects in its local variables."""
    issuer = get_issuer(request)
    relaybox = issuer.relaybox
    token_response = relaybox.generate_token_response(client_id="1")
    answer = issuer.endpoint.respond("GET", None, lambda: "1")
    raise RuntimeError(f"failed after {token_response!r}, {answer.status}, {issuer!r}")


class LoggedIn:
    is_authenticated = True
    id = "1"


def starlette_app(**hooks: Callable[..., Any]) -> Starlette:
    hooks.setdefault("load_user", lambda request: LoggedIn())
    issuer = RelayBoxIssuer(api_key=TEST_API_KEY, **hooks)
    return Starlette(
        debug=True,
        routes=[Route("/fail", fail_view), Mount("/user", routes=relaybox_routes(issuer))],
        middleware=[Middleware(RelayBoxMiddleware, issuer=issuer)],
    )


def fastapi_app(dependency: Callable[..., Any]) -> FastAPI:
    app = FastAPI(debug=True)
    app.include_router(relaybox_router(dependency=dependency, api_key=TEST_API_KEY), prefix="/user")
    return app


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


def test_debug_traceback_of_a_failing_route() -> None:
    pages = debug_pages(starlette_app(), "/fail")
    assert all("RelayBoxIssuer(" in page for page in pages)
    assert_no_secret(*pages)


@pytest.mark.parametrize("hook", ["load_user", "client_id", "get_permissions", "token_issued"])
def test_debug_traceback_of_a_failing_hook(hook: str) -> None:
    app = starlette_app(**{hook: fail})
    pages = debug_pages(app, "/user/auth")
    assert all("the hook failed" in page for page in pages)
    assert_no_secret(*pages)


def test_debug_traceback_of_a_failing_fastapi_dependency() -> None:
    def current_user() -> None:
        fail()

    pages = debug_pages(fastapi_app(current_user), "/user/auth")
    assert all("the hook failed" in page for page in pages)
    assert_no_secret(*pages)


BUILDERS: dict[str, Callable[[str], object]] = {
    "RelayBoxIssuer": lambda key: RelayBoxIssuer(api_key=key),
    "relaybox_routes": lambda key: relaybox_routes(api_key=key),
    "RelayBoxMiddleware": lambda key: RelayBoxMiddleware(Starlette(), api_key=key),
    "relaybox_router": lambda key: relaybox_router(dependency=lambda: None, api_key=key),
}


@pytest.mark.parametrize("build", list(BUILDERS.values()), ids=list(BUILDERS))
@pytest.mark.parametrize("key", list(MALFORMED_KEYS.values()), ids=list(MALFORMED_KEYS))
def test_configuration_errors(build: Callable[[str], object], key: str) -> None:
    with pytest.raises(ConfigurationError) as raised:
        build(key)
    assert raised.value.setting == "api_key"
    assert_no_secret(traceback.format_exception(raised.value))


@pytest.mark.parametrize("framework", ["starlette", "fastapi"])
def test_debug_logs_of_a_token_issue(framework: str, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    app = starlette_app() if framework == "starlette" else fastapi_app(lambda: "1")
    response = get(app, "/user/auth")
    assert response.status_code == 200
    assert_token_issue_logged_safely(caplog.text, response.json()["token"])


def test_repr_of_the_public_objects() -> None:
    issuer = RelayBoxIssuer(api_key=TEST_API_KEY)
    routes = relaybox_routes(issuer)
    router = relaybox_router(dependency=lambda: None, api_key=TEST_API_KEY)
    token = issuer.relaybox.generate_token_response(client_id="1")
    for value in [
        issuer,
        issuer.relaybox,
        issuer.endpoint,
        routes,
        *[getattr(route, "app", route) for route in routes],
        RelayBoxMiddleware(Starlette(), issuer=issuer),
        router,
        router.routes,
        TokenBody(**token.as_dict()),
        ErrorBody(error="forbidden", message="no"),
    ]:
        assert_no_secret(repr(value), str(value))
