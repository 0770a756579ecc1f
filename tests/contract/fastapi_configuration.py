"""FastAPI under the configuration contract: the router's keyword arguments, and the debug
traceback FastAPI (Starlette underneath) serves with ``debug=True``."""

from __future__ import annotations

import traceback
from collections.abc import Callable
from typing import Any

import pytest
from fastapi import FastAPI
from starlette.middleware import Middleware

from relaybox_integrations import ShortSecretWarning
from relaybox_integrations.config import Option
from relaybox_integrations.fastapi import (
    ErrorBody,
    TokenBody,
    relaybox_router,
    relaybox_webhook_router,
)
from relaybox_integrations.starlette import RelayBoxIssuer, RelayBoxMiddleware, RelayBoxWebhooks
from tests.support.servers import TEST_API_KEY

from .configuration import Built, fail
from .starlette_configuration import debug_pages, fail_view, get, refused, split_options


class FastAPIConfiguration:
    name = "fastapi"
    #: FastAPI's router takes the user from a dependency, in place of ``load_user``.
    hooks = ("dependency",)
    needs_db = False

    def app(self, dependency: Callable[..., Any]) -> FastAPI:
        issuer = RelayBoxIssuer(api_key=TEST_API_KEY)
        app = FastAPI(debug=True, middleware=[Middleware(RelayBoxMiddleware, issuer=issuer)])
        app.include_router(relaybox_router(issuer, dependency=dependency), prefix="/user")
        app.add_route("/fail", fail_view)
        return app

    def build(self, option: Option, value: object) -> Built:
        values, webhook_values = split_options(option, value)
        issuer = RelayBoxIssuer(**values)
        relaybox_router(issuer, dependency=lambda: None)
        webhooks = RelayBoxWebhooks(**webhook_values)
        relaybox_webhook_router(webhooks)
        return Built(issuer.relaybox, issuer.endpoint, webhooks.endpoint)

    def assert_names(self, error: BaseException, option: Option) -> None:
        assert getattr(error, "setting", None) == option.name

    def malformed_key(self, key: str) -> list[str]:
        return refused(lambda: relaybox_router(dependency=lambda: None, api_key=key), "api_key")

    def bad_option(self, option: Option, value: object) -> list[str]:
        return refused(
            lambda: relaybox_router(
                dependency=lambda: None, api_key=TEST_API_KEY, **{option.name: value}
            ),
            option.name,
        )

    def short_secret_as_error(self, key: str) -> list[str]:
        with pytest.raises(ShortSecretWarning) as raised:
            relaybox_router(dependency=lambda: None, api_key=key)
        return traceback.format_exception(raised.value)

    def issue_token(self) -> str:
        response = get(self.app(lambda: "1"), "/user/auth")
        assert response.status_code == 200
        return response.json()["token"]  # type: ignore[no-any-return]

    def public_objects(self) -> list[object]:
        issuer = RelayBoxIssuer(api_key=TEST_API_KEY)
        router = relaybox_router(issuer, dependency=lambda: None)
        token = issuer.relaybox.generate_token_response(client_id="1")
        return [
            issuer,
            router,
            router.routes,
            TokenBody(**token.as_dict()),
            ErrorBody(error="forbidden", message="no"),
        ]

    def failing_hook_pages(self, hook: str) -> list[str]:
        def current_user() -> None:
            fail()

        pages = debug_pages(self.app(current_user), "/user/auth")
        assert all("the hook failed" in page for page in pages)
        return pages

    def failing_view_pages(self) -> tuple[list[str], str]:
        return debug_pages(self.app(lambda: "1"), "/fail"), "RelayBoxIssuer("


def configurations() -> list[FastAPIConfiguration]:
    return [FastAPIConfiguration()]
