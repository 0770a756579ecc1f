"""Configures Django, where it is installed, once for every suite that runs in-process."""

from __future__ import annotations

import importlib.util

import pytest


def pytest_configure(config: pytest.Config) -> None:
    if importlib.util.find_spec("django") is None:
        return
    import django
    from django.conf import settings

    from tests.support import django_settings

    if not settings.configured:
        settings.configure(**django_settings.settings())
        django.setup()
