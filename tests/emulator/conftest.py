"""The emulator suite: the server in a thread (the pytest plugin's fixture), clients in
``asyncio.run`` inside each test, so no async test plugin is needed."""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine
from typing import Any, TypeVar

import pytest

from relaybox_integrations import RelayBox
from relaybox_integrations.emulator import DEVELOPMENT_API_KEY, Emulator, RealtimeClient

T = TypeVar("T")

API_KEY = DEVELOPMENT_API_KEY


def run(coroutine: Coroutine[Any, Any, T]) -> T:
    return asyncio.run(coroutine)


@pytest.fixture
def relaybox() -> RelayBox:
    return RelayBox(API_KEY)


@pytest.fixture
def connect(relaybox_emulator: Emulator, relaybox: RelayBox) -> Any:
    """``connect(client_id, **token_options)``: a client with a freshly minted token."""

    def connect(client_id: str | None = None, **options: Any) -> RealtimeClient:
        token = relaybox.generate_token_response(client_id=client_id, **options)
        return RealtimeClient(relaybox_emulator.url, token=token)

    return connect
