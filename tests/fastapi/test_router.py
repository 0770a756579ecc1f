"""What only the FastAPI adapter does: OpenAPI, the dependency, get_issuer, options.

The shared behaviour is the contract suite's (``tests/contract``).
"""

from __future__ import annotations

import warnings
from typing import Annotated, Any

import pytest
from fastapi import Depends, FastAPI, Request
from starlette.middleware import Middleware

from relaybox_integrations import ConfigurationError, ShortSecretWarning
from relaybox_integrations.fastapi import (
    MissingMiddlewareError,
    RelayBoxIssuer,
    RelayBoxMiddleware,
    get_issuer,
    relaybox_router,
    relaybox_webhook_router,
)
from tests.fastapi.openapi import assert_documents_the_endpoint
from tests.starlette.asgi import LOGIN_HEADER, as_user, call
from tests.support.extras import assert_says_how_to_install, configure_without
from tests.support.servers import TEST_API_KEY, TEST_SECRET
from tests.support.verifier import node_verify


class Account:
    """A FastAPI user model: an ``id``, no ``identity``, and the flag the endpoint checks."""

    is_authenticated = True

    def __init__(self, id: int) -> None:
        self.id = id


async def current_account(request: Request) -> Account | None:
    """The test login (standing in for a session lookup)."""
    login = request.headers.get(LOGIN_HEADER)
    return None if login is None else Account(int(login))


def fastapi_app(dependency: Any = current_account, **options: Any) -> FastAPI:
    options.setdefault("api_key", TEST_API_KEY)
    app = FastAPI()
    app.include_router(relaybox_router(dependency=dependency, **options), prefix="/user")
    return app


def test_openapi_has_the_token_model_and_error_answers() -> None:
    schema = fastapi_app().openapi()
    assert_documents_the_endpoint(schema)
    token_body = schema["components"]["schemas"]["TokenBody"]
    assert token_body["properties"]["expiresAt"]["type"] == "integer"
    assert token_body["additionalProperties"] is False
    assert set(schema["components"]["schemas"]["ErrorBody"]["required"]) == {"error", "message"}
    anonymous_allowed = fastapi_app(allow_anonymous=True).openapi()
    assert "401" not in anonymous_allowed["paths"]["/user/auth"]["get"]["responses"]


def test_route_is_named_for_url_path_for() -> None:
    assert fastapi_app().url_path_for("relaybox_auth") == "/user/auth"


def test_other_methods_and_options_never_reach_the_dependency() -> None:
    def explode() -> None:
        raise AssertionError("the dependency must not run")

    app = fastapi_app(dependency=explode)
    for method in ("PUT", "DELETE", "PATCH"):
        response = call(app, method, "/user/auth")
        assert response.status_code == 405
        assert response.headers["allow"] == "GET, POST, OPTIONS"
        assert response.json()["error"] == "method_not_allowed"
    options = call(app, "OPTIONS", "/user/auth")
    assert options.status_code == 204
    assert options.headers["cache-control"] == "no-store"


class Identified:
    is_authenticated = True
    identity = "starlette-style"
    id = 5


@pytest.mark.parametrize(
    ("returned", "client_id"),
    [("abc", "abc"), (12, "12"), (Identified(), "starlette-style"), (Account(3), "3")],
)
@pytest.mark.parametrize("mode", ["sync", "async"])
def test_dependency_may_return_a_user_or_a_client_id(
    returned: object, client_id: str, mode: str
) -> None:
    def sync_dependency() -> object:
        return returned

    async def async_dependency() -> object:
        return returned

    app = fastapi_app(dependency=sync_dependency if mode == "sync" else async_dependency)
    token = call(app, "GET", "/user/auth").json()["token"]
    assert node_verify(token, TEST_SECRET)["clientId"] == client_id


def test_get_issuer_is_a_dependency_for_your_own_routes() -> None:
    issuer = RelayBoxIssuer(api_key=TEST_API_KEY, expires_in=600)
    app = FastAPI(middleware=[Middleware(RelayBoxMiddleware, issuer)])
    app.include_router(relaybox_router(issuer, dependency=current_account), prefix="/user")

    @app.get("/page")
    async def page(
        relaybox: Annotated[RelayBoxIssuer, Depends(get_issuer)],
        account: Annotated[Account | None, Depends(current_account)],
    ) -> dict[str, str]:
        assert relaybox is issuer
        client_id = None if account is None else account.id
        return {"token": relaybox.relaybox.generate_token_response(client_id=client_id).token}

    claims = node_verify(
        call(app, "GET", "/page", headers=as_user("4")).json()["token"], TEST_SECRET
    )
    assert claims["clientId"] == "4"
    assert claims["exp"] - claims["iat"] == 600


def test_get_issuer_without_the_middleware_names_it() -> None:
    app = FastAPI()

    @app.get("/page")
    async def page(relaybox: Annotated[RelayBoxIssuer, Depends(get_issuer)]) -> str:
        return repr(relaybox)

    with pytest.raises(MissingMiddlewareError, match="RelayBoxMiddleware is not installed"):
        call(app, "GET", "/page")


def test_configuration_errors_at_construction() -> None:
    with pytest.raises(ConfigurationError, match="dependency: expected a FastAPI dependency"):
        relaybox_router(dependency="current_user", api_key=TEST_API_KEY)  # type: ignore[arg-type]
    with pytest.raises(ConfigurationError, match="takes the user from dependency=") as caught:
        relaybox_router(dependency=current_account, api_key=TEST_API_KEY, load_user=lambda r: "1")
    assert caught.value.setting == "load_user"


def test_the_webhook_router_is_documented_in_openapi() -> None:
    app = FastAPI()
    app.include_router(relaybox_webhook_router(signing_key="whsec-fastapi-tests-0123456789"))
    operation = app.openapi()["paths"]["/relaybox/webhooks"]["post"]
    assert {p["name"] for p in operation["parameters"]} == {
        "X-RelayBox-Webhook-Signature",
        "X-RelayBox-Webhook-Id",
    }
    schema = operation["requestBody"]["content"]["application/json"]["schema"]
    assert set(schema["required"]) == {"id", "event", "data", "session", "timestamp"}
    assert set(operation["responses"]) == {"200", "400", "403", "413", "500", "503"}


def test_the_webhook_router_takes_webhooks_or_options_not_both() -> None:
    from relaybox_integrations.fastapi import RelayBoxWebhooks

    webhooks = RelayBoxWebhooks(signing_key="whsec-fastapi-tests-0123456789")
    with pytest.raises(ConfigurationError, match="either webhooks= or its options"):
        relaybox_webhook_router(webhooks, tolerance=60)
    assert relaybox_webhook_router(webhooks).routes


def test_a_short_secret_warning_points_at_the_users_line() -> None:
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        relaybox_router(dependency=lambda: None, api_key="myapp.key1:secret")
    (warning,) = [w for w in caught if issubclass(w.category, ShortSecretWarning)]
    assert warning.filename == __file__


def test_a_missing_extra_stops_the_routers_at_start_up_naming_it() -> None:
    """Without [publish], FastAPI used to start and answer the first apublish with a 500."""
    said = configure_without(
        ("aiohttp",),
        "from relaybox_integrations.fastapi import relaybox_router\n"
        "relaybox_router(dependency=lambda: None, api_key=API_KEY)",
    )
    assert_says_how_to_install(said, "publish")
    said = configure_without(
        ("orjson",),
        "from relaybox_integrations.fastapi import relaybox_webhook_router\n"
        "relaybox_webhook_router(signing_key=SIGNING_KEY)",
    )
    assert_says_how_to_install(said, "webhooks")
