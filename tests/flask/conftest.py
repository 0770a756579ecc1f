"""Fixtures for the Flask tests: applications from one factory, as users write them."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from flask import Flask

from relaybox_integrations.flask import RelayBox
from tests.support.servers import TEST_API_KEY

AppFactory = Callable[..., Flask]


@pytest.fixture
def relaybox() -> RelayBox:
    """One extension object, shared by every application the factory makes."""
    return RelayBox()


@pytest.fixture
def make_app(relaybox: RelayBox) -> AppFactory:
    """An application factory: ``make_app(RELAYBOX_...=...)`` returns a fresh app."""

    def factory(**config: Any) -> Flask:
        app = Flask(__name__)
        app.config.update(TESTING=True, SECRET_KEY="test-session-key", **config)
        app.config.setdefault("RELAYBOX_API_KEY", TEST_API_KEY)
        relaybox.init_app(app)
        return app

    return factory
