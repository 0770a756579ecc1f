"""Django: the API secret stays out of the technical 500 page (settings and frame locals),
out of configuration errors and system checks, out of DEBUG logs, and out of ``repr()``."""

from __future__ import annotations

import logging
import traceback
import warnings
from typing import Any

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.test import Client, override_settings

from relaybox_integrations import ShortSecretWarning
from relaybox_integrations.django import token_issued
from relaybox_integrations.django.checks import check_settings
from relaybox_integrations.django.integration import get_integration
from relaybox_integrations.django.views import AsyncAuthView, AuthView
from tests.hygiene.conftest import (
    MALFORMED_KEYS,
    assert_no_secret,
    assert_token_issue_logged_safely,
)
from tests.support.servers import TEST_API_KEY

MIDDLEWARE = [
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
]
AUTH_PATHS = ["/user/auth", "/async/auth"]


def fail(*args: Any) -> Any:
    raise RuntimeError("the hook failed")


def debug_page(path: str, relaybox: dict[str, Any], user: Any = None) -> str:
    """The page Django shows with DEBUG on when ``path`` fails."""
    with override_settings(
        DEBUG=True,
        ROOT_URLCONF="tests.hygiene.django_urls",
        MIDDLEWARE=MIDDLEWARE,
        RELAYBOX=relaybox,
    ):
        client = Client(raise_request_exception=False)
        if user is not None:
            client.force_login(user)
        response = client.get(path, HTTP_ACCEPT="text/html")
    page = response.content.decode()
    assert response.status_code == 500, page[:2000]
    assert 'id="traceback"' in page  # Django's technical 500 page, not a plain error
    return page


@pytest.fixture
def user(django_user_model: Any) -> Any:
    return django_user_model.objects.create_user("hygiene", password="hygiene-password")


@pytest.mark.django_db
def test_technical_500_hides_the_key_in_settings_and_locals() -> None:
    page = debug_page("/fail", {"API_KEY": TEST_API_KEY})
    # The settings section and the view's locals are on the page, the secret is not.
    assert "RELAYBOX" in page
    assert "RelayBox(public_key=" in page
    assert "testapp.testkey" in page
    assert_no_secret(page)


@pytest.mark.django_db
@pytest.mark.parametrize("hook", ["CLIENT_ID_HOOK", "PERMISSIONS_HOOK"])
@pytest.mark.parametrize("path", AUTH_PATHS)
def test_technical_500_of_a_failing_hook(user: Any, hook: str, path: str) -> None:
    page = debug_page(path, {"API_KEY": TEST_API_KEY, hook: fail}, user)
    assert "the hook failed" in page
    assert_no_secret(page)


@pytest.mark.django_db
@pytest.mark.parametrize("key", list(MALFORMED_KEYS.values()), ids=list(MALFORMED_KEYS))
@pytest.mark.parametrize("path", AUTH_PATHS)
def test_technical_500_of_a_malformed_key(key: str, path: str) -> None:
    page = debug_page(path, {"API_KEY": key})
    assert "ImproperlyConfigured" in page
    assert_no_secret(page)


@pytest.mark.django_db
@pytest.mark.parametrize("path", AUTH_PATHS)
def test_technical_500_of_a_bad_option(path: str) -> None:
    page = debug_page(path, {"API_KEY": TEST_API_KEY, "TOKEN_EXPIRES_IN": 5})
    assert "TOKEN_EXPIRES_IN" in page
    assert_no_secret(page)


@pytest.mark.django_db
@pytest.mark.parametrize("path", AUTH_PATHS)
def test_technical_500_when_the_short_secret_warning_is_an_error(path: str) -> None:
    """``python -W error`` (or pytest's ``filterwarnings = error``) turns the short-secret
    warning into an exception raised while the key is a local variable."""
    short_secret = "short-secret-XYZ"
    with warnings.catch_warnings():
        warnings.simplefilter("error", ShortSecretWarning)
        page = debug_page(path, {"API_KEY": f"testapp.testkey:{short_secret}"})
    assert "ShortSecretWarning" in page
    assert short_secret not in page, "the API secret is on the technical 500 page"


@pytest.mark.parametrize("key", list(MALFORMED_KEYS.values()), ids=list(MALFORMED_KEYS))
def test_configuration_errors_and_checks(key: str) -> None:
    with override_settings(RELAYBOX={"API_KEY": key}):
        with pytest.raises(ImproperlyConfigured) as raised:
            get_integration()
        messages = check_settings()
    assert any(message.id == "relaybox.E002" for message in messages)
    assert_no_secret(
        traceback.format_exception(raised.value),
        [f"{message.msg} {message.hint}" for message in messages],
    )


@pytest.mark.django_db
@pytest.mark.parametrize("path", AUTH_PATHS)
def test_debug_logs_of_a_token_issue(
    user: Any, path: str, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    with override_settings(
        DEBUG=True,
        ROOT_URLCONF="tests.hygiene.django_urls",
        MIDDLEWARE=MIDDLEWARE,
        RELAYBOX={"API_KEY": TEST_API_KEY},
    ):
        client = Client()
        client.force_login(user)
        response = client.get(path)
    assert response.status_code == 200
    assert_token_issue_logged_safely(caplog.text, response.json()["token"])


def test_repr_of_the_public_objects() -> None:
    with override_settings(RELAYBOX={"API_KEY": TEST_API_KEY}):
        integration = get_integration()
        objects: list[object] = [
            integration,
            integration.relaybox,
            integration.endpoint,
            integration.async_endpoint,
            AuthView(),
            AsyncAuthView(),
            token_issued,
        ]
        for value in objects:
            assert_no_secret(repr(value), str(value))
