"""The one set of Django settings every in-process Django test runs with.

Applied by ``tests/conftest.py`` through ``settings.configure`` rather than
``DJANGO_SETTINGS_MODULE``, so that the example servers the tests start never inherit them.
Tests override what they rely on with ``override_settings``.
"""

from __future__ import annotations

import importlib.util
from typing import Any

import django

from tests.support.servers import TEST_API_KEY

TEST_WEBHOOK_SIGNING_KEY = "whsec-django-tests-signing-key-0123456789"

HAS_DRF = importlib.util.find_spec("rest_framework") is not None
HAS_SIMPLEJWT = importlib.util.find_spec("rest_framework_simplejwt") is not None


def settings() -> dict[str, Any]:
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
    # The contract suite's stand-in for a login: X-Test-User picks request.user.
    middleware.append("tests.contract.django_harness.TestUserMiddleware")
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
        # Deliveries are deduplicated in the default cache: many tests deliver many ids.
        "CACHES": {
            "default": {
                "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
                "OPTIONS": {"MAX_ENTRIES": 100_000},
            }
        },
        "RELAYBOX": {"API_KEY": TEST_API_KEY, "WEBHOOK_SIGNING_KEY": TEST_WEBHOOK_SIGNING_KEY},
        "REST_FRAMEWORK": {
            "DEFAULT_AUTHENTICATION_CLASSES": [
                "rest_framework.authentication.SessionAuthentication"
            ],
            # A project default that the Relaybox view must not apply (ALLOW_ANONYMOUS decides).
            "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
        },
    }
