"""Django test settings (configured here, not through DJANGO_SETTINGS_MODULE, so that the
example servers the tests start never inherit them) and shared fixtures."""

from __future__ import annotations

import importlib.util
from collections.abc import Iterator
from typing import Any

import django
import pytest
from django.conf import settings

from tests.support.servers import TEST_API_KEY

HAS_DRF = importlib.util.find_spec("rest_framework") is not None
HAS_SIMPLEJWT = importlib.util.find_spec("rest_framework_simplejwt") is not None

# Without DRF installed, its tests have nothing to import: leave them out of collection.
collect_ignore = [] if HAS_DRF else ["test_rest_framework.py"]


def _settings() -> dict[str, Any]:
    apps = [
        "django.contrib.auth",
        "django.contrib.contenttypes",
        "django.contrib.sessions",
        "relaybox_integrations.django",
    ]
    if HAS_DRF:
        apps += ["rest_framework", "rest_framework.authtoken"]
    middleware = [
        "django.contrib.sessions.middleware.SessionMiddleware",
        "django.middleware.common.CommonMiddleware",
        "django.middleware.csrf.CsrfViewMiddleware",
        "django.contrib.auth.middleware.AuthenticationMiddleware",
    ]
    if django.VERSION >= (5, 1):
        middleware.append("django.contrib.auth.middleware.LoginRequiredMiddleware")
    return {
        "SECRET_KEY": "tests-only-django-secret-key-long-enough-for-hs256",
        "DEBUG": False,
        "ALLOWED_HOSTS": ["testserver"],
        "INSTALLED_APPS": apps,
        "MIDDLEWARE": middleware,
        "ROOT_URLCONF": "tests.django.urls",
        "DATABASES": {"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": ":memory:"}},
        "DEFAULT_AUTO_FIELD": "django.db.models.BigAutoField",
        "USE_TZ": True,
        "PASSWORD_HASHERS": ["django.contrib.auth.hashers.MD5PasswordHasher"],
        "LOGIN_URL": "/login",
        "TEMPLATES": [],
        "RELAYBOX": {"API_KEY": TEST_API_KEY},
        "REST_FRAMEWORK": {
            "DEFAULT_AUTHENTICATION_CLASSES": [
                "rest_framework.authentication.SessionAuthentication"
            ],
            # A project default that the Relaybox view must not apply (ALLOW_ANONYMOUS decides).
            "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
        },
    }


def pytest_configure(config: pytest.Config) -> None:
    if not settings.configured:
        settings.configure(**_settings())
    from django.apps import apps

    if not apps.ready:  # when this conftest is not an initial one (pytest run from the root)
        django.setup()


@pytest.fixture
def user(django_user_model: Any) -> Any:
    return django_user_model.objects.create_user("alice", password="alice-password")


@pytest.fixture
def received() -> Iterator[list[dict[str, Any]]]:
    """What ``token_issued`` receivers get, for the duration of a test."""
    from relaybox_integrations.django import token_issued

    calls: list[dict[str, Any]] = []

    def receiver(sender: type, **named: Any) -> None:
        calls.append({"sender": sender, **named})

    token_issued.connect(receiver, weak=False)
    yield calls
    token_issued.disconnect(receiver)
