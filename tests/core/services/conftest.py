"""A recording server standing in for Relaybox's state and auth services, and a RelayBox
pointed at it (the state service under ``/state``, the auth service under ``/auth``)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from relaybox_integrations import RelayBox
from tests.support.recording_server import RecordingServer, recording_server
from tests.support.servers import TEST_API_KEY


@pytest.fixture
def server() -> Iterator[RecordingServer]:
    with recording_server() as running:
        yield running


def relaybox_for(server: RecordingServer, **options: object) -> RelayBox:
    relaybox = RelayBox(
        TEST_API_KEY,
        state_url=server.url + "/state",
        auth_service_url=server.url + "/auth",
        **options,  # type: ignore[arg-type]
    )
    # No backoff waits in tests: the retries themselves are what is checked.
    relaybox.rooms._service.sleep = lambda delay: None
    relaybox.users._service.sleep = lambda delay: None

    async def no_wait(delay: float) -> None:
        pass

    relaybox.rooms._service.async_sleep = no_wait
    relaybox.users._service.async_sleep = no_wait
    return relaybox


@pytest.fixture
def relaybox(server: RecordingServer) -> Iterator[RelayBox]:
    with relaybox_for(server) as instance:
        yield instance
