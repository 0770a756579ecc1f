"""Publishing from Django: the process's client, CORE_URL, and publish_on_commit."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from django.db import transaction
from django.test import override_settings

from relaybox_integrations import PublishError, PublishOutcomeUnknownError, PublishRequestError
from relaybox_integrations.django import get_relaybox, publish_on_commit
from tests.support.events_standin import EventsStandin, Fault
from tests.support.servers import TEST_API_KEY

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def standin() -> Iterator[EventsStandin]:
    with (
        EventsStandin({TEST_API_KEY: ["*"]}) as server,
        override_settings(RELAYBOX={"API_KEY": TEST_API_KEY, "CORE_URL": server.url}),
    ):
        yield server
        get_relaybox().close()


def rooms(standin: EventsStandin) -> list[str]:
    return [published.room_id for published in standin.published]


def test_get_relaybox_publishes_to_the_configured_core_url(standin: EventsStandin) -> None:
    assert get_relaybox() is get_relaybox()
    result = get_relaybox().publish("orders:1", "shipped", {"id": 1}, client_id=7)
    (published,) = standin.published
    assert (published.room_id, published.event, published.client_id) == ("orders:1", "shipped", "7")
    assert result.request_id


def test_publish_on_commit_waits_for_the_commit_and_forgets_a_rollback(
    standin: EventsStandin,
) -> None:
    with transaction.atomic():
        publish_on_commit("orders:2", "shipped", {"id": 2})
        assert rooms(standin) == []  # not before the commit
    assert rooms(standin) == ["orders:2"]

    def roll_back() -> None:
        with transaction.atomic():
            publish_on_commit("orders:3", "shipped", {"id": 3})
            raise RuntimeError("rolled back")

    with pytest.raises(RuntimeError, match="rolled back"):
        roll_back()
    publish_on_commit("orders:4", "shipped", {"id": 4})  # no transaction: at once
    assert rooms(standin) == ["orders:2", "orders:4"]


def test_publish_on_commit_checks_its_arguments_at_once(standin: EventsStandin) -> None:
    with pytest.raises(PublishRequestError, match="NaN"), transaction.atomic():
        publish_on_commit("orders:5", "shipped", {"total": float("nan")})
    assert standin.requests == []


def test_a_failure_after_the_commit_is_logged_not_raised(
    standin: EventsStandin, caplog: pytest.LogCaptureFixture
) -> None:
    with override_settings(
        RELAYBOX={"API_KEY": "testapp.other:" + "s" * 40, "CORE_URL": standin.url}
    ):
        with transaction.atomic():
            publish_on_commit("orders:6", "shipped", {"id": 6})  # an unknown key: a 500
        get_relaybox().close()
    assert "after commit failed" in caplog.text
    assert rooms(standin) == []


def test_publish_timeout_and_retries_reach_the_client(standin: EventsStandin) -> None:
    config = {"API_KEY": TEST_API_KEY, "CORE_URL": standin.url, "PUBLISH_RETRIES": 0}
    with override_settings(RELAYBOX={**config, "PUBLISH_TIMEOUT": 0.2}):
        standin.fail_next(Fault("status", status=503))
        with pytest.raises(PublishError) as refused:
            get_relaybox().publish("orders:3", "shipped", {})
        assert (refused.value.status, refused.value.attempts) == (503, 1)
        standin.fail_next(Fault("stall", seconds=5))
        with pytest.raises(PublishOutcomeUnknownError):
            get_relaybox().publish("orders:3", "shipped", {})
        get_relaybox().close()
