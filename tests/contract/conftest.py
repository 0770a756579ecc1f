"""One ``harness`` fixture, parametrised over every adapter installed in this environment."""

from __future__ import annotations

import importlib.util
from typing import Any

import pytest

from .configuration import Configuration
from .users import Harness


def _harnesses() -> list[Harness]:
    found: list[Harness] = []
    if importlib.util.find_spec("django") is not None:
        from .django_harness import harnesses

        found += harnesses()
    if importlib.util.find_spec("flask") is not None:
        from .flask_harness import harnesses as flask_harnesses

        found += flask_harnesses()
    if importlib.util.find_spec("starlette") is not None:
        from .starlette_harness import harnesses as starlette_harnesses

        found += starlette_harnesses()
    return found


HARNESSES = _harnesses()


@pytest.fixture(params=HARNESSES, ids=[harness.name for harness in HARNESSES])
def harness(request: pytest.FixtureRequest, django_db: Any) -> Harness:
    return request.param  # type: ignore[no-any-return]


# DRF serves only the auth endpoint; Django's own views serve its webhooks. RelayBoxMiddleware
# serves the auth and room access endpoints; Starlette's webhook routes are the webhooks'.
WEBHOOK_HARNESSES = [
    harness for harness in HARNESSES if harness.name not in ("drf", "starlette-middleware")
]


@pytest.fixture(params=WEBHOOK_HARNESSES, ids=[harness.name for harness in WEBHOOK_HARNESSES])
def webhook_harness(request: pytest.FixtureRequest, django_db: Any) -> Harness:
    return request.param  # type: ignore[no-any-return]


@pytest.fixture
def django_db(request: pytest.FixtureRequest) -> None:
    """Django's sessions and users live in its test database: open it for Django adapters."""
    params = request.node.callspec.params
    harness = params.get("harness") or params.get("webhook_harness")
    if harness.name in ("django-wsgi", "django-asgi", "drf"):
        request.getfixturevalue("db")


def _configurations() -> list[Configuration]:
    found: list[Configuration] = []
    if importlib.util.find_spec("django") is not None:
        from .django_configuration import configurations as django_configurations

        found += django_configurations()
    if importlib.util.find_spec("flask") is not None:
        from .flask_configuration import configurations as flask_configurations

        found += flask_configurations()
    if importlib.util.find_spec("starlette") is not None:
        from .starlette_configuration import configurations as starlette_configurations

        found += starlette_configurations()
    if importlib.util.find_spec("fastapi") is not None:
        from .fastapi_configuration import configurations as fastapi_configurations

        found += fastapi_configurations()
    return found


CONFIGURATIONS = _configurations()


def with_database(configuration: Configuration, *values: object, id: str) -> Any:
    """``configuration`` (and ``values``) as a test parameter, in Django's test database
    when the adapter keeps users there."""
    marks = [pytest.mark.django_db] if configuration.needs_db else []
    return pytest.param(configuration, *values, id=id, marks=marks)


@pytest.fixture(
    params=[with_database(configuration, id=configuration.name) for configuration in CONFIGURATIONS]
)
def configuration(request: pytest.FixtureRequest) -> Configuration:
    return request.param  # type: ignore[no-any-return]
