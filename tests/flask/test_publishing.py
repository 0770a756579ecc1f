"""Publishing from Flask: RELAYBOX_CORE_URL and relaybox.publish for the current app."""

from __future__ import annotations

import pytest

from relaybox_integrations import ConfigurationError, PublishError, PublishOutcomeUnknownError
from relaybox_integrations.flask import RelayBox
from tests.support.events_standin import EventsStandin, Fault
from tests.support.servers import TEST_API_KEY

from .conftest import AppFactory


def test_publish_uses_the_current_apps_key_and_core_url(
    make_app: AppFactory, relaybox: RelayBox
) -> None:
    with EventsStandin({TEST_API_KEY: ["*"]}) as standin:
        app = make_app(RELAYBOX_CORE_URL=standin.url)
        with app.app_context():
            result = relaybox.publish("chat:lobby", "message", {"text": "hi"}, client_id="1")
        (published,) = standin.published
    assert (published.room_id, published.client_id) == ("chat:lobby", "1")
    assert result.request_id == published.request_id


def test_a_bad_core_url_names_the_config_key(make_app: AppFactory) -> None:
    with pytest.raises(ConfigurationError) as caught:
        make_app(RELAYBOX_CORE_URL="gnet.prod.relaybox-services.net")
    assert caught.value.setting == "RELAYBOX_CORE_URL"


def test_publish_timeout_and_retries_reach_the_client(
    make_app: AppFactory, relaybox: RelayBox
) -> None:
    with EventsStandin({TEST_API_KEY: ["*"]}) as standin:
        config = {"RELAYBOX_PUBLISH_TIMEOUT": 0.2, "RELAYBOX_PUBLISH_RETRIES": 0}
        app = make_app(RELAYBOX_CORE_URL=standin.url, **config)
        with app.app_context():
            standin.fail_next(Fault("status", status=503))
            with pytest.raises(PublishError) as refused:
                relaybox.publish("chat:lobby", "message", {})
            assert (refused.value.status, refused.value.attempts) == (503, 1)
            standin.fail_next(Fault("stall", seconds=5))
            with pytest.raises(PublishOutcomeUnknownError):
                relaybox.publish("chat:lobby", "message", {})
