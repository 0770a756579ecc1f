"""Django under the configuration contract: ``RELAYBOX`` in the settings, the system checks,
and the technical 500 page with DEBUG on, for the sync and the async auth view."""

from __future__ import annotations

import traceback
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.core.exceptions import ImproperlyConfigured
from django.test import Client, override_settings

from relaybox_integrations.config import Option
from relaybox_integrations.django import token_issued
from relaybox_integrations.django.checks import check_settings
from relaybox_integrations.django.integration import get_integration
from relaybox_integrations.django.views import AsyncAuthView, AuthView
from tests.support.servers import TEST_API_KEY

from .configuration import SIGNING_KEY, Built, fail

MIDDLEWARE = [
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
]


def debug_page(path: str, relaybox: object, user: Any = None) -> str:
    """The page Django shows with DEBUG on when ``path`` fails."""
    with override_settings(
        DEBUG=True,
        ROOT_URLCONF="tests.contract.django_urls",
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


def logged_in_user() -> Any:
    user, _ = get_user_model().objects.get_or_create(username="configuration-contract")
    return user


class DjangoConfiguration:
    hooks = ("CLIENT_ID_HOOK", "PERMISSIONS_HOOK")
    needs_db = True

    def __init__(self, name: str, auth_path: str) -> None:
        self.name = name
        self.auth_path = auth_path

    def build(self, option: Option, value: object) -> Built:
        setting = {"API_KEY": TEST_API_KEY, "WEBHOOK_SIGNING_KEY": SIGNING_KEY, option.key: value}
        with override_settings(RELAYBOX=setting):
            integration = get_integration()
        webhooks = integration.webhooks
        return Built(
            integration.relaybox,
            integration.endpoint,
            None if webhooks is None else webhooks.endpoint,
        )

    def assert_names(self, error: BaseException, option: Option) -> None:
        message = str(error)
        assert f"[{option.check_id}]" in message
        assert f"RELAYBOX[{option.key!r}]" in message

    def malformed_key(self, key: str) -> list[str]:
        with override_settings(RELAYBOX={"API_KEY": key}):
            with pytest.raises(ImproperlyConfigured) as raised:
                get_integration()
            messages = check_settings()
        assert "RELAYBOX['API_KEY']" in str(raised.value)
        assert any(message.id == "relaybox.E002" for message in messages)
        page = debug_page(self.auth_path, {"API_KEY": key})
        assert "ImproperlyConfigured" in page
        return [
            *traceback.format_exception(raised.value),
            *(f"{message.msg} {message.hint}" for message in messages),
            page,
        ]

    def bad_option(self, option: Option, value: object) -> list[str]:
        page = debug_page(self.auth_path, {"API_KEY": TEST_API_KEY, option.key: value})
        assert option.key in page
        return [page]

    def short_secret_as_error(self, key: str) -> list[str]:
        """Raised at the first request, while the key is a local variable."""
        page = debug_page(self.auth_path, {"API_KEY": key})
        assert "ShortSecretWarning" in page
        return [page]

    def issue_token(self) -> str:
        with override_settings(
            DEBUG=True,
            ROOT_URLCONF="tests.contract.django_urls",
            MIDDLEWARE=MIDDLEWARE,
            RELAYBOX={"API_KEY": TEST_API_KEY},
        ):
            client = Client()
            client.force_login(logged_in_user())
            response = client.get(self.auth_path)
        assert response.status_code == 200
        return response.json()["token"]  # type: ignore[no-any-return]

    def public_objects(self) -> list[object]:
        with override_settings(RELAYBOX={"API_KEY": TEST_API_KEY}):
            integration = get_integration()
            return [
                integration,
                integration.relaybox,
                integration.endpoint,
                integration.async_endpoint,
                AuthView(),
                AsyncAuthView(),
                token_issued,
            ]

    def failing_hook_pages(self, hook: str) -> list[str]:
        page = debug_page(self.auth_path, {"API_KEY": TEST_API_KEY, hook: fail}, logged_in_user())
        assert "the hook failed" in page
        return [page]

    def failing_view_pages(self) -> tuple[list[str], str]:
        page = debug_page("/fail", {"API_KEY": TEST_API_KEY})
        # The settings section and the view's locals are on the page, the secret is not.
        assert "RELAYBOX" in page
        assert "testapp.testkey" in page
        return [page], "RelayBox(public_key="


def configurations() -> list[DjangoConfiguration]:
    return [
        DjangoConfiguration("django", "/user/auth"),
        DjangoConfiguration("django-async", "/async/auth"),
    ]
