"""The room access endpoint's core, beyond what the contract suite drives through adapters:
its configuration, its repr, and what reaches the log."""

from __future__ import annotations

import asyncio
import json
import logging
import pickle
from typing import Any

import pytest

from relaybox_integrations import AuthEndpoint, ConfigurationError, RelayBox
from relaybox_integrations.room_access import RoomAccessEndpoint
from tests.support.servers import TEST_API_KEY, TEST_SECRET


class User:
    is_authenticated = True

    def __init__(self, user_id: object) -> None:
        self.id = user_id


def endpoint(hook: Any = lambda *args: True, **auth: Any) -> RoomAccessEndpoint:
    return RoomAccessEndpoint(AuthEndpoint(RelayBox(TEST_API_KEY), **auth), hook)


@pytest.mark.parametrize("hook", [None, "myapp.can_join_room", 3])
def test_a_hook_that_is_not_a_function_is_a_configuration_error(hook: object) -> None:
    with pytest.raises(ConfigurationError, match="can_join_room must be a function") as caught:
        endpoint(hook)
    assert caught.value.setting == "can_join_room"


def test_the_auth_endpoint_is_required() -> None:
    with pytest.raises(ConfigurationError, match="AuthEndpoint; got RelayBox"):
        RoomAccessEndpoint(RelayBox(TEST_API_KEY), lambda *args: True)  # type: ignore[arg-type]


def test_the_repr_hides_the_secret() -> None:
    assert TEST_SECRET not in repr(endpoint())
    assert "RoomAccessEndpoint(" in repr(endpoint())


def test_the_client_id_hook_is_the_auth_endpoints() -> None:
    answer = endpoint(client_id=lambda user: f"member-{user.id}").respond(
        "GET", None, "team:7", lambda: User(7)
    )
    token = json.loads(answer.body)["token"]
    claims = RelayBox(TEST_API_KEY).verify_room_access_token(token, "team:7")
    assert claims["clientId"] == "member-7"


def test_an_identity_loaders_answer_is_the_client_id() -> None:
    seen: list[tuple[str, str]] = []

    def hook(request: Any, user: Any, client_id: str, room_id: str) -> bool:
        seen.append((client_id, room_id))
        return True

    assert endpoint(hook).respond("POST", None, "lobby", lambda: 42).status == 200
    assert seen == [("42", "lobby")]


def test_async_hooks_and_loaders_run_on_asyncio() -> None:
    async def hook(request: Any, user: Any, client_id: str, room_id: str) -> bool:
        return room_id == "team:7"

    async def load_user() -> User:
        return User(7)

    room = endpoint(hook)
    assert asyncio.run(room.arespond("GET", None, "team:7", load_user)).status == 200
    assert asyncio.run(room.arespond("GET", None, "team:8", load_user)).status == 403


def test_an_async_hook_on_a_sync_endpoint_says_so() -> None:
    async def hook(request: Any, user: Any, client_id: str, room_id: str) -> bool:
        return True

    with pytest.raises(TypeError, match="returned an awaitable"):
        endpoint(hook).respond("GET", None, "lobby", lambda: User(1))


def test_the_token_and_the_secret_never_reach_the_log(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.DEBUG, "relaybox_integrations"):
        answer = endpoint().respond("GET", None, "team:7", lambda: User(7))
    token = json.loads(answer.body)["token"]
    assert "room_id='team:7'" in caplog.text
    assert token not in caplog.text
    assert TEST_SECRET not in caplog.text


def test_it_refuses_pickling_as_the_core_does() -> None:
    with pytest.raises(TypeError) as raised:
        pickle.dumps(endpoint())
    assert TEST_SECRET not in str(raised.value)
