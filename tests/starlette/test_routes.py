"""relaybox_routes: the auth endpoint mounted in a Starlette app, answered in-process."""

from __future__ import annotations

import json
import logging
import threading
from typing import Any

import pytest
from starlette.authentication import BaseUser
from starlette.requests import Request

from relaybox_integrations import ConfigurationError
from relaybox_integrations.starlette import (
    AccessDenied,
    MissingMiddlewareError,
    RelayBoxIssuer,
    relaybox_routes,
)
from tests.starlette.asgi import HeaderBackend, app_with, as_user, call
from tests.support.servers import TEST_API_KEY, TEST_SECRET
from tests.support.verifier import node_verify, node_verify_many

ALLOW = "GET, POST, OPTIONS"


def auth_app(**options: Any) -> Any:
    options.setdefault("api_key", TEST_API_KEY)
    return app_with(relaybox_routes(**options))


def assert_no_store(response: Any) -> None:
    assert response.headers["cache-control"] == "no-store"


# --- the shared HTTP behaviour -------------------------------------------------------------


@pytest.mark.parametrize("method", ["GET", "POST"])
def test_anonymous_user_gets_401_json(method: str) -> None:
    response = call(auth_app(), method, "/user/auth")
    assert response.status_code == 401
    assert response.headers["content-type"] == "application/json"
    assert response.json()["error"] == "not_authenticated"
    assert_no_store(response)


def test_logged_in_user_gets_a_token_relaybox_accepts() -> None:
    app = auth_app()
    get = call(app, "GET", "/user/auth", headers=as_user("user-7"))
    post = call(app, "POST", "/user/auth", headers=as_user("user-7"))
    for response in (get, post):
        assert response.status_code == 200, response.text
        assert response.headers["content-type"] == "application/json"
        assert_no_store(response)
        assert set(response.json()) == {"token", "expiresIn", "expiresAt"}
    verdicts = node_verify_many([get.json()["token"], post.json()["token"]], TEST_SECRET)
    for verdict, response in zip(verdicts, (get, post), strict=True):
        assert verdict["ok"], verdict
        claims = verdict["claims"]
        assert claims["clientId"] == "user-7"
        assert claims["publicKey"] == "testapp.testkey"
        assert response.json()["expiresIn"] == 900 == claims["exp"] - claims["iat"]
        assert response.json()["expiresAt"] == claims["exp"] * 1000


def test_client_sent_ids_never_change_the_token() -> None:
    app = auth_app()
    spoofed = {"X-Client-Id": "admin", "Content-Type": "application/json"}
    response = call(
        app,
        "POST",
        "/user/auth?clientId=admin",
        headers={**spoofed, **as_user("user-7")},
        content=json.dumps({"clientId": "admin"}),
    )
    assert node_verify(response.json()["token"], TEST_SECRET)["clientId"] == "user-7"
    anonymous = call(app, "GET", "/user/auth?clientId=admin", headers=spoofed)
    assert anonymous.status_code == 401


@pytest.mark.parametrize("method", ["PUT", "DELETE", "PATCH", "HEAD"])
def test_other_methods_get_405_with_allow(method: str) -> None:
    response = call(auth_app(), method, "/user/auth", headers=as_user("user-7"))
    assert response.status_code == 405
    assert response.headers["allow"] == ALLOW
    assert_no_store(response)
    if method != "HEAD":
        assert response.json()["error"] == "method_not_allowed"


def test_options_is_answered_without_touching_the_user() -> None:
    # No AuthenticationMiddleware: a lookup of request.user would raise.
    app = app_with(relaybox_routes(api_key=TEST_API_KEY), authentication=False)
    response = call(app, "OPTIONS", "/user/auth")
    assert response.status_code == 204
    assert response.headers["allow"] == ALLOW
    assert_no_store(response)
    assert response.content == b""


def test_route_is_named_for_url_path_for() -> None:
    assert auth_app().url_path_for("relaybox_auth") == "/user/auth"
    app = app_with(relaybox_routes(api_key=TEST_API_KEY, path="/token", name="rt"))
    assert app.url_path_for("rt") == "/user/token"


def test_configured_expiry_permissions_and_anonymous_tokens() -> None:
    app = auth_app(expires_in=300, permissions={"chat:*": ["subscribe"]}, allow_anonymous=True)
    user = call(app, "GET", "/user/auth", headers=as_user("user-7")).json()
    anonymous = call(app, "GET", "/user/auth").json()
    verdicts = node_verify_many([user["token"], anonymous["token"]], TEST_SECRET)
    assert verdicts[0]["claims"]["permissions"] == {"chat:*": ["subscribe"]}
    assert verdicts[0]["claims"]["exp"] - verdicts[0]["claims"]["iat"] == 300
    assert "clientId" not in verdicts[1]["claims"]
    assert anonymous["expiresIn"] == 300


# --- identity ---------------------------------------------------------------------------


class IdOnlyUser(BaseUser):
    """A user class that does not implement ``identity`` but has an ``id``."""

    def __init__(self, name: str) -> None:
        self.id = int(name)

    @property
    def is_authenticated(self) -> bool:
        return True


class NamelessUser(BaseUser):
    def __init__(self, name: str) -> None:
        self.name = name

    @property
    def is_authenticated(self) -> bool:
        return True


class UsernameUser(BaseUser):
    """Like Starlette 0.52's SimpleUser: a username, no ``identity``, no ``id``."""

    def __init__(self, name: str) -> None:
        self.username = f"name-{name}"

    @property
    def is_authenticated(self) -> bool:
        return True

    @property
    def display_name(self) -> str:
        return "Not An Identity"


@pytest.mark.parametrize(
    ("user_class", "client_id"), [(IdOnlyUser, "42"), (UsernameUser, "name-42")]
)
def test_user_without_identity_falls_back_to_id_then_username(
    user_class: type[BaseUser], client_id: str
) -> None:
    app = app_with(relaybox_routes(api_key=TEST_API_KEY), backend=HeaderBackend(user_class))
    response = call(app, "GET", "/user/auth", headers=as_user("42"))
    assert node_verify(response.json()["token"], TEST_SECRET)["clientId"] == client_id


def test_user_with_neither_identity_nor_id_is_a_clear_error() -> None:
    app = app_with(
        relaybox_routes(api_key=TEST_API_KEY), backend=HeaderBackend(user_class=NamelessUser)
    )
    with pytest.raises(TypeError, match=r"NamelessUser user.*Implement BaseUser\.identity"):
        call(app, "GET", "/user/auth", headers=as_user("x"))


def test_missing_authentication_middleware_is_named_with_the_fix() -> None:
    app = app_with(relaybox_routes(api_key=TEST_API_KEY), authentication=False)
    with pytest.raises(MissingMiddlewareError) as caught:
        call(app, "GET", "/user/auth")
    message = str(caught.value)
    assert "AuthenticationMiddleware is not installed" in message
    assert "Middleware(AuthenticationMiddleware, backend=" in message
    assert "client_id=" in message


def mode_hook(mode: str, func: Any) -> Any:
    """``func`` as a sync function, or wrapped in an async one."""
    if mode == "sync":
        return func

    async def async_hook(*args: Any) -> Any:
        return func(*args)

    return async_hook


@pytest.mark.parametrize("mode", ["sync", "async"])
def test_client_id_hook_replaces_request_user(mode: str) -> None:
    def from_header(request: Request) -> str | None:
        return request.headers.get("X-Session-Owner")

    app = app_with(
        relaybox_routes(api_key=TEST_API_KEY, client_id=mode_hook(mode, from_header)),
        authentication=False,
    )
    response = call(app, "GET", "/user/auth", headers={"X-Session-Owner": "owner-1"})
    assert node_verify(response.json()["token"], TEST_SECRET)["clientId"] == "owner-1"
    assert call(app, "GET", "/user/auth").status_code == 401


@pytest.mark.parametrize("mode", ["sync", "async"])
def test_client_id_hook_may_refuse_with_403(mode: str) -> None:
    def refuse(request: Request) -> str:
        raise AccessDenied("Banned from chat.")

    app = app_with(relaybox_routes(api_key=TEST_API_KEY, client_id=mode_hook(mode, refuse)))
    response = call(app, "GET", "/user/auth", headers=as_user("user-7"))
    assert response.status_code == 403
    assert response.json() == {"error": "forbidden", "message": "Banned from chat."}
    assert_no_store(response)


def test_sync_hooks_run_off_the_event_loop_thread() -> None:
    threads: list[threading.Thread] = []

    def client_id(request: Request) -> str:
        threads.append(threading.current_thread())
        return "user-7"

    def token_issued(request: Request, client_id: str | None) -> None:
        threads.append(threading.current_thread())

    app = app_with(
        relaybox_routes(api_key=TEST_API_KEY, client_id=client_id, token_issued=token_issued)
    )
    assert call(app, "GET", "/user/auth").status_code == 200
    assert len(threads) == 2
    # asyncio.run() runs the event loop in this (the main) thread.
    assert threading.main_thread() not in threads


def test_hook_returning_garbage_is_a_logged_500_not_a_token(
    caplog: pytest.LogCaptureFixture,
) -> None:
    app = app_with(relaybox_routes(api_key=TEST_API_KEY, client_id=lambda request: ["x"]))
    with caplog.at_level(logging.ERROR, logger="relaybox_integrations"):
        response = call(app, "GET", "/user/auth")
    assert response.status_code == 500
    assert response.json()["error"] == "token_error"
    assert "client_id must be a str or an int" in caplog.text


# --- permissions and audit hooks ----------------------------------------------------------


@pytest.mark.parametrize("mode", ["sync", "async"])
def test_get_permissions_hook_sets_per_user_permissions(mode: str) -> None:
    seen: list[Any] = []

    def permissions(request: Request, client_id: str | None) -> dict[str, list[str]]:
        seen.append(client_id)
        if client_id == "banned":
            raise AccessDenied("No realtime for you.")
        return {f"user:{client_id}": ["publish", "presence"]}

    app = auth_app(get_permissions=mode_hook(mode, permissions))
    token = call(app, "GET", "/user/auth", headers=as_user("user-7")).json()["token"]
    claims = node_verify(token, TEST_SECRET)
    assert claims["permissions"] == {"user:user-7": ["publish", "presence"]}
    refused = call(app, "GET", "/user/auth", headers=as_user("banned"))
    assert refused.status_code == 403
    assert refused.json()["message"] == "No realtime for you."
    assert call(app, "GET", "/user/auth").status_code == 401
    assert seen == ["user-7", "banned"]  # never asked about anonymous users


@pytest.mark.parametrize("mode", ["sync", "async"])
def test_token_issued_hook_sees_each_token_and_nothing_else(mode: str) -> None:
    issued: list[tuple[str, str | None]] = []

    def audit(request: Request, client_id: str | None) -> None:
        issued.append((request.url.path, client_id))

    def permissions(request: Request, client_id: str | None) -> None:
        if client_id == "banned":
            raise AccessDenied()

    app = auth_app(token_issued=mode_hook(mode, audit), get_permissions=permissions)
    assert call(app, "GET", "/user/auth", headers=as_user("user-7")).status_code == 200
    assert call(app, "GET", "/user/auth").status_code == 401
    assert call(app, "GET", "/user/auth", headers=as_user("banned")).status_code == 403
    assert call(app, "PUT", "/user/auth", headers=as_user("user-7")).status_code == 405
    assert issued == [("/user/auth", "user-7")]


def test_integer_ids_reach_hooks_as_the_token_string() -> None:
    issued: list[object] = []
    app = app_with(
        relaybox_routes(
            api_key=TEST_API_KEY,
            client_id=lambda request: 42,
            token_issued=lambda request, client_id: issued.append(client_id),
        ),
        authentication=False,
    )
    token = call(app, "GET", "/user/auth").json()["token"]
    assert node_verify(token, TEST_SECRET)["clientId"] == "42"
    assert issued == ["42"]


# --- configuration errors, at construction ------------------------------------------------


@pytest.mark.parametrize(
    ("options", "setting", "fragment"),
    [
        ({"api_key": "testapp.testkey"}, "api_key", "0 ':' characters"),
        ({"api_key": "nodot:" + "s" * 40}, "api_key", "'<appPid>.<keyId>'"),
        ({"expires_in": 20}, "expires_in", "more than 20 seconds"),
        ({"expires_in": "900"}, "expires_in", "whole number"),
        ({"permissions": {"room.1": ["publish"]}}, "permissions", "room 'room.1'"),
        ({"permissions": ["shout"]}, "permissions", "unknown permission 'shout'"),
        ({"allow_anonymous": "yes"}, "allow_anonymous", "True or False"),
        ({"client_id": "user.id"}, "client_id", "expected a function"),
        ({"get_permissions": 3}, "get_permissions", "expected a function"),
        ({"token_issued": "log"}, "token_issued", "expected a function"),
    ],
)
def test_bad_arguments_fail_at_construction_naming_the_argument(
    options: dict[str, Any], setting: str, fragment: str
) -> None:
    options = {"api_key": TEST_API_KEY, **options}
    with pytest.raises(ConfigurationError) as caught:
        relaybox_routes(**options)
    assert caught.value.setting == setting
    assert str(caught.value).startswith(f"invalid argument {setting}:")
    assert fragment in str(caught.value)


def test_api_key_is_required() -> None:
    with pytest.raises(TypeError, match="api_key"):
        relaybox_routes()


def test_issuer_or_options_not_both() -> None:
    issuer = RelayBoxIssuer(api_key=TEST_API_KEY)
    with pytest.raises(ConfigurationError, match="either issuer= or its options"):
        relaybox_routes(issuer, expires_in=300)
    with pytest.raises(ConfigurationError, match="expected a RelayBoxIssuer") as caught:
        relaybox_routes(TEST_API_KEY)  # type: ignore[arg-type]
    assert TEST_SECRET not in str(caught.value)


def test_the_secret_appears_nowhere() -> None:
    issuer = RelayBoxIssuer(api_key=TEST_API_KEY)
    assert TEST_SECRET not in repr(issuer)
    app = app_with(relaybox_routes(issuer))
    for headers in ({}, as_user("user-7")):
        for method in ("GET", "PUT", "OPTIONS"):
            response = call(app, method, "/user/auth", headers=headers)
            assert TEST_SECRET not in response.text
            assert TEST_SECRET not in str(response.headers)
    bad_key = "testapp.testkey:" + TEST_SECRET + ":extra"
    with pytest.raises(ConfigurationError) as caught:
        RelayBoxIssuer(api_key=bad_key)
    assert TEST_SECRET not in str(caught.value)
    assert TEST_SECRET not in repr(caught.value)
