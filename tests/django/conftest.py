"""Fixtures for the Django-only tests (the settings are configured in ``tests/conftest.py``)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from tests.support.django_settings import HAS_DRF

# Without DRF installed, its tests have nothing to import: leave them out of collection.
collect_ignore = [] if HAS_DRF else ["test_rest_framework.py"]


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
