"""Shared helpers for the secret-hygiene tests, and Django settings for the in-process ones.

Django is configured here only when nothing configured it before (the Django suite's
conftest does the same); every test overrides the settings it relies on.
"""

from __future__ import annotations

from collections.abc import Iterable

import django
import pytest
from django.conf import settings

from tests.support.servers import TEST_API_KEY, TEST_SECRET

#: Malformed API keys as people get them wrong, each with the real secret inside.
MALFORMED_KEYS = {
    "secret alone": TEST_SECRET,
    "halves swapped": f"{TEST_SECRET}:testapp.testkey",
    "two colons": f"testapp.testkey:{TEST_SECRET}:extra",
    "trailing newline": f"{TEST_API_KEY}\n",
    "space after colon": f"testapp.testkey: {TEST_SECRET}",
    "no public key": f":{TEST_SECRET}",
    "appPid only": f"testapp:{TEST_SECRET}",
}


def assert_no_secret(*texts: str | bytes | Iterable[str]) -> None:
    """None of ``texts`` contains the test API secret (nor the whole key)."""
    for text in texts:
        if isinstance(text, bytes):
            text = text.decode("utf-8", "replace")
        elif not isinstance(text, str):
            text = "\n".join(text)
        assert TEST_SECRET not in text, f"the API secret leaked:\n{text[:3000]}"


def pytest_configure(config: pytest.Config) -> None:
    if not settings.configured:
        settings.configure(
            SECRET_KEY="hygiene-tests-django-secret-key-long-enough-0000",
            DEBUG=False,
            ALLOWED_HOSTS=["testserver"],
            INSTALLED_APPS=[
                "django.contrib.auth",
                "django.contrib.contenttypes",
                "django.contrib.sessions",
                "relaybox_integrations.django",
            ],
            MIDDLEWARE=[],
            ROOT_URLCONF="tests.hygiene.django_urls",
            DATABASES={"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": ":memory:"}},
            DEFAULT_AUTO_FIELD="django.db.models.BigAutoField",
            USE_TZ=True,
            PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"],
            TEMPLATES=[],
            RELAYBOX={"API_KEY": TEST_API_KEY},
        )
    from django.apps import apps

    if not apps.ready:
        django.setup()
