"""What only Django's views do: real users and sessions, CSRF, settings and dotted hooks.

The shared behaviour is the contract suite's (``tests/contract``). The async view is driven
by ``AsyncClient`` on an event loop (``async_to_sync`` from the test's thread), where any ORM
call made on the loop raises ``SynchronousOnlyOperation``.
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import django
import pytest
from asgiref.sync import async_to_sync
from django.http import HttpRequest
from django.middleware.csrf import get_token
from django.test import AsyncClient, Client, override_settings
from django.urls import reverse

from relaybox_integrations import AuthEndpoint
from relaybox_integrations.django.integration import get_integration
from tests.support.responses import assert_json_error, token_claims
from tests.support.servers import ROOT, TEST_API_KEY

KEY = {"API_KEY": TEST_API_KEY}
pytestmark = pytest.mark.django_db


@dataclass
class Endpoint:
    """One of the two views, with a client that can log in and send any request."""

    path: str
    is_async: bool
    csrf: bool = False

    def __post_init__(self) -> None:
        self.client: Any = (AsyncClient if self.is_async else Client)(enforce_csrf_checks=self.csrf)

    def login(self, user: Any) -> None:
        self.client.force_login(user)

    def __call__(self, method: str = "get", path: str = "", **kwargs: Any) -> Any:
        send: Callable[..., Any] = getattr(self.client, method)
        if not self.is_async:
            return send(self.path + path, **kwargs)

        async def send_on_the_event_loop() -> Any:
            return await send(self.path + path, **kwargs)

        return async_to_sync(send_on_the_event_loop)()


@pytest.fixture(params=["sync", "async"])
def endpoint(request: pytest.FixtureRequest) -> Endpoint:
    return Endpoint(
        "/user/auth" if request.param == "sync" else "/async/auth", request.param == "async"
    )


def test_reverse_names_the_endpoint() -> None:
    assert reverse("relaybox:auth") == "/user/auth"
    assert reverse("relaybox-async:auth") == "/async/auth"


def test_logged_in_user_gets_a_token(endpoint: Endpoint, user: Any) -> None:
    endpoint.login(user)
    claims = token_claims(endpoint())
    assert claims["clientId"] == str(user.pk)
    assert claims["publicKey"] == "testapp.testkey"
    assert claims["exp"] - claims["iat"] == 900
    assert "permissions" not in claims


def test_other_methods_get_405_even_under_csrf_checks(user: Any) -> None:
    endpoint = Endpoint("/user/auth", is_async=False, csrf=True)
    endpoint.login(user)
    assert endpoint("put").status_code == 405


def csrf_pair() -> tuple[str, str]:
    """A csrftoken cookie value and the matching X-CSRFToken header, as a page would get."""
    request = HttpRequest()
    header = get_token(request)
    return request.META["CSRF_COOKIE"], header


@pytest.mark.parametrize("is_async", [False, True])
def test_post_needs_the_csrf_token(user: Any, is_async: bool) -> None:
    endpoint = Endpoint("/async/auth" if is_async else "/user/auth", is_async, csrf=True)
    endpoint.login(user)
    assert_json_error(endpoint("post"), 403, "csrf_failed")
    cookie, header = csrf_pair()
    endpoint.client.cookies["csrftoken"] = cookie
    assert_json_error(endpoint("post", headers={"X-CSRFToken": "x" * 64}), 403, "csrf_failed")
    assert token_claims(endpoint("post", headers={"X-CSRFToken": header}))["clientId"] == str(
        user.pk
    )
    # GET is safe: no token needed.
    token_claims(endpoint("get"))


def test_inactive_or_deleted_user_is_anonymous(endpoint: Endpoint, user: Any) -> None:
    endpoint.login(user)
    user.delete()
    assert_json_error(endpoint(), 401, "not_authenticated")


def test_expiry_and_static_permissions(endpoint: Endpoint, user: Any) -> None:
    endpoint.login(user)
    relaybox = {**KEY, "TOKEN_EXPIRES_IN": 60, "PERMISSIONS": {"chat:*": ["subscribe"]}}
    with override_settings(RELAYBOX=relaybox):
        claims = token_claims(endpoint())
    assert claims["exp"] - claims["iat"] == 60
    assert claims["permissions"] == {"chat:*": ["subscribe"]}


@pytest.mark.parametrize(
    "hook",
    [
        "tests.django.hooks.client_id_from_username",
        pytest.param(lambda user: f"user-{user.get_username()}", id="callable"),
    ],
)
def test_client_id_hook(endpoint: Endpoint, user: Any, hook: Any) -> None:
    endpoint.login(user)
    with override_settings(RELAYBOX={**KEY, "CLIENT_ID_HOOK": hook}):
        assert token_claims(endpoint())["clientId"] == "user-alice"


def test_hooks_that_use_the_orm_run_off_the_event_loop(endpoint: Endpoint, user: Any) -> None:
    endpoint.login(user)
    hook = "tests.django.hooks.client_id_from_database"
    with override_settings(RELAYBOX={**KEY, "CLIENT_ID_HOOK": hook}):
        assert token_claims(endpoint())["clientId"] == f"groups-0-{user.pk}"


def test_async_hook(endpoint: Endpoint, user: Any) -> None:
    endpoint.login(user)
    with override_settings(
        RELAYBOX={**KEY, "CLIENT_ID_HOOK": "tests.django.hooks.async_client_id"}
    ):
        assert token_claims(endpoint())["clientId"] == f"async-{user.pk}"


def test_hook_refuses_with_403(endpoint: Endpoint, django_user_model: Any) -> None:
    endpoint.login(django_user_model.objects.create_user("banned-bob"))
    with override_settings(RELAYBOX={**KEY, "CLIENT_ID_HOOK": "tests.django.hooks.refuse_banned"}):
        response = endpoint()
    assert_json_error(response, 403, "forbidden")
    assert response.json()["message"] == "Banned users cannot use realtime features."


def test_permissions_hook(endpoint: Endpoint, user: Any, django_user_model: Any) -> None:
    relaybox = {
        **KEY,
        "PERMISSIONS": ["subscribe"],
        "PERMISSIONS_HOOK": "tests.django.hooks.staff_permissions",
    }
    endpoint.login(user)
    with override_settings(RELAYBOX=relaybox):
        assert token_claims(endpoint())["permissions"] == ["subscribe"]  # None: static default
        endpoint.login(django_user_model.objects.create_user("root", is_staff=True))
        assert token_claims(endpoint())["permissions"] == {"staff:*": ["*"]}


def test_permissions_hook_sees_the_request(endpoint: Endpoint, user: Any) -> None:
    endpoint.login(user)
    hook = "tests.django.hooks.request_path_permissions"
    with override_settings(RELAYBOX={**KEY, "PERMISSIONS_HOOK": hook}):
        assert token_claims(endpoint())["permissions"] == {"web": ["subscribe"]}


def test_token_issued_signal(endpoint: Endpoint, user: Any, received: list[dict[str, Any]]) -> None:
    endpoint.login(user)
    response = endpoint()
    token_claims(response)
    (call,) = received
    assert call["user"] == user
    assert call["client_id"] == str(user.pk)
    assert (call["expires_in"], call["permissions"]) == (900, None)
    assert call["request"].path == endpoint.path
    assert call["sender"] is AuthEndpoint
    assert response.json()["token"] not in repr(call)
    endpoint.client.logout()
    assert endpoint().status_code == 401
    assert len(received) == 1  # refusals are not issued tokens


@pytest.mark.skipif(django.VERSION >= (5, 0), reason="Django awaits async receivers from 5.0")
def test_before_django_5_an_async_token_issued_receiver_fails_loudly(
    endpoint: Endpoint, user: Any
) -> None:
    from django.core.exceptions import ImproperlyConfigured

    from relaybox_integrations.django import token_issued

    async def audit(sender: type, **named: Any) -> None:
        raise AssertionError("Django 4.2 never awaits this")

    token_issued.connect(audit, weak=False, dispatch_uid="async-audit-before-django-5")
    endpoint.login(user)
    try:
        with pytest.raises(ImproperlyConfigured, match=r"need Django 5\.0"):
            endpoint()  # not a token whose audit silently never ran
    finally:
        assert token_issued.disconnect(dispatch_uid="async-audit-before-django-5")


def test_misconfiguration_raises_naming_the_setting(endpoint: Endpoint, user: Any) -> None:
    from django.core.exceptions import ImproperlyConfigured

    endpoint.login(user)
    endpoint.client.raise_request_exception = True
    with (
        override_settings(RELAYBOX={"API_KEY": "broken"}),
        pytest.raises(ImproperlyConfigured, match=r"RELAYBOX\['API_KEY'\]"),
    ):
        endpoint()


def test_the_app_does_not_import_rest_framework() -> None:
    code = (
        "import sys, django; from django.conf import settings;"
        "settings.configure(INSTALLED_APPS=['django.contrib.auth','django.contrib.contenttypes',"
        "'relaybox_integrations.django']); django.setup();"
        "import relaybox_integrations.django.views, relaybox_integrations.django.urls,"
        " relaybox_integrations.django.async_urls, relaybox_integrations.django.checks;"
        "assert 'rest_framework' not in sys.modules, 'rest_framework imported'"
    )
    subprocess.run([sys.executable, "-c", code], cwd=ROOT, check=True)


@pytest.mark.skipif(django.VERSION < (5, 1), reason="login_not_required is Django 5.1+")
def test_marked_login_not_required() -> None:
    from django.urls import resolve

    assert resolve("/user/auth").func.login_required is False
    assert resolve("/async/auth").func.login_required is False


def test_without_the_authentication_middleware_the_view_says_what_to_add() -> None:
    from django.core.exceptions import ImproperlyConfigured

    middleware = ["django.contrib.sessions.middleware.SessionMiddleware"]
    with (
        override_settings(MIDDLEWARE=middleware),
        pytest.raises(ImproperlyConfigured, match="AuthenticationMiddleware"),
    ):
        Client(raise_request_exception=True).get("/user/auth")


def test_a_short_secret_warns_at_the_first_request_where_no_checks_ran() -> None:
    """Under gunicorn no system check runs: the first request still warns (W001)."""
    from relaybox_integrations import ShortSecretWarning

    with (
        override_settings(RELAYBOX={"API_KEY": "app.key:short-secret"}),
        pytest.warns(ShortSecretWarning, match="HS256 keys should be") as caught,
    ):
        get_integration()
    assert caught[0].filename == __file__  # the caller's line, not the package's
