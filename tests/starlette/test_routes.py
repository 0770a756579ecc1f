"""What only the Starlette adapter does: routes, users of Starlette's classes, threads, options.

The shared behaviour is the contract suite's (``tests/contract``).
"""

from __future__ import annotations

import threading
import warnings
from typing import Any

import pytest
from starlette.authentication import BaseUser
from starlette.requests import Request

from relaybox_integrations import (
    ConfigurationError,
    PublishError,
    PublishOutcomeUnknownError,
    ShortSecretWarning,
)
from relaybox_integrations.starlette import (
    MissingMiddlewareError,
    RelayBoxIssuer,
    relaybox_routes,
)
from tests.starlette.asgi import HeaderBackend, app_with, as_user, call
from tests.support.events_standin import EventsStandin, Fault
from tests.support.extras import assert_says_how_to_install, configure_without
from tests.support.servers import TEST_API_KEY, TEST_SECRET
from tests.support.verifier import node_verify, node_verify_many

ALLOW = "GET, POST, OPTIONS"


def auth_app(**options: Any) -> Any:
    options.setdefault("api_key", TEST_API_KEY)
    return app_with(relaybox_routes(**options))


def assert_no_store(response: Any) -> None:
    assert response.headers["cache-control"] == "no-store"


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


def test_missing_authentication_middleware_is_named_with_the_fix() -> None:
    app = app_with(relaybox_routes(api_key=TEST_API_KEY), authentication=False)
    with pytest.raises(MissingMiddlewareError) as caught:
        call(app, "GET", "/user/auth")
    message = str(caught.value)
    assert "AuthenticationMiddleware is not installed" in message
    assert "Middleware(AuthenticationMiddleware, backend=" in message
    assert "load_user=" in message


def test_sync_hooks_run_off_the_event_loop_thread() -> None:
    threads: list[threading.Thread] = []

    def load_user(request: Request) -> str:
        threads.append(threading.current_thread())
        return "user-7"

    def token_issued(*fields: Any) -> None:
        threads.append(threading.current_thread())

    app = app_with(
        relaybox_routes(api_key=TEST_API_KEY, load_user=load_user, token_issued=token_issued)
    )
    assert call(app, "GET", "/user/auth").status_code == 200
    assert len(threads) == 2
    # asyncio.run() runs the event loop in this (the main) thread.
    assert threading.main_thread() not in threads


# --- permissions and audit hooks ----------------------------------------------------------


# --- configuration errors, at construction ------------------------------------------------


@pytest.mark.parametrize(
    ("options", "setting", "fragment"),
    [
        ({"api_key": "testapp.testkey"}, "api_key", "0 ':' characters"),
        ({"api_key": "nodot:" + "s" * 40}, "api_key", "'<appPid>.<keyId>'"),
        ({"load_user": "request.user"}, "load_user", "expected a function"),
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
    assert fragment in str(caught.value)


def test_publish_timeout_and_retries_reach_the_client() -> None:
    with EventsStandin({TEST_API_KEY: ["*"]}) as standin:
        issuer = RelayBoxIssuer(api_key=TEST_API_KEY, core_url=standin.url, timeout=0.2, retries=0)
        standin.fail_next(Fault("status", status=503))
        with pytest.raises(PublishError) as refused:
            issuer.relaybox.publish("chat:lobby", "message", {})
        assert (refused.value.status, refused.value.attempts) == (503, 1)
        standin.fail_next(Fault("stall", seconds=5))
        with pytest.raises(PublishOutcomeUnknownError):
            issuer.relaybox.publish("chat:lobby", "message", {})
        issuer.relaybox.close()


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


def test_no_answer_carries_the_secret() -> None:
    issuer = RelayBoxIssuer(api_key=TEST_API_KEY)
    app = app_with(relaybox_routes(issuer))
    for headers in ({}, as_user("user-7")):
        for method in ("GET", "PUT", "OPTIONS"):
            response = call(app, method, "/user/auth", headers=headers)
            assert TEST_SECRET not in response.text
            assert TEST_SECRET not in str(response.headers)


def test_a_short_secret_warning_points_at_the_users_line() -> None:
    """Not at the issuer's line that built the core: the routes or issuer the user built."""
    for build in (relaybox_routes, RelayBoxIssuer):
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            build(api_key="myapp.key1:secret")
        (warning,) = [w for w in caught if issubclass(w.category, ShortSecretWarning)]
        assert warning.filename == __file__, build


def test_without_aiohttp_the_routes_refuse_to_start_naming_the_publish_extra() -> None:
    """The issuer publishes with apublish: a missing [publish] extra stops the application
    when the routes are built, not its first publish with a 500."""
    for build in ("relaybox_routes(api_key=API_KEY)", "RelayBoxIssuer(api_key=API_KEY)"):
        said = configure_without(
            ("aiohttp",),
            f"from relaybox_integrations.starlette import RelayBoxIssuer, relaybox_routes\n{build}",
        )
        assert_says_how_to_install(said, "publish")
