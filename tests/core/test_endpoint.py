"""The request flow itself, without a framework: what the contract suite cannot reach."""

from __future__ import annotations

import asyncio
import json
import logging
import uuid
from typing import Any

import pytest

from relaybox_integrations import AuthEndpoint, ConfigurationError, RelayBox
from relaybox_integrations.endpoint import default_client_id

SECRET = "a-long-enough-secret-for-hs256-keys-000000"
API_KEY = f"myapp.key1:{SECRET}"


class User:
    is_authenticated = True

    def __init__(self, **attributes: Any) -> None:
        vars(self).update(attributes)


def claims(endpoint: AuthEndpoint, answer: Any) -> dict[str, Any]:
    assert answer.status == 200, answer.body
    return endpoint.relaybox.verify_token(json.loads(answer.body)["token"])


class StarletteLike:
    """``identity`` not implemented, as Starlette's BaseUser raises."""

    is_authenticated = True
    id = "from-id"

    @property
    def identity(self) -> str:
        raise NotImplementedError


class FlaskLoginLike:
    is_authenticated = True
    id = 5

    def get_id(self) -> str:
        return "from-get-id"


@pytest.mark.parametrize(
    ("user", "client_id"),
    [
        (User(identity="from-identity", id=1), "from-identity"),
        (StarletteLike(), "from-id"),
        (FlaskLoginLike(), "from-get-id"),
        (User(pk=3, id=4), 3),
        (User(id=uuid.UUID(int=1)), str(uuid.UUID(int=1))),
        (User(username="name"), "name"),
        (User(display_name="not unique"), None),
    ],
)
def test_default_client_id_reads_each_frameworks_attribute(user: Any, client_id: Any) -> None:
    assert default_client_id(user) == client_id


def test_respond_and_arespond_give_the_same_answers() -> None:
    async def async_id(user: Any) -> str:
        return f"async-{user.id}"

    sync = AuthEndpoint(RelayBox(API_KEY), client_id=lambda user: f"sync-{user.id}")
    assert claims(sync, sync.respond("GET", None, lambda: User(id=1)))["clientId"] == "sync-1"
    asynchronous = AuthEndpoint(RelayBox(API_KEY), client_id=async_id)

    async def load() -> Any:
        return User(id=2)

    answer = asyncio.run(asynchronous.arespond("POST", None, load))
    assert claims(asynchronous, answer)["clientId"] == "async-2"
    assert asyncio.run(asynchronous.arespond("GET", None, lambda: None)).status == 401


def test_an_async_hook_in_a_sync_endpoint_is_a_clear_error() -> None:
    async def async_id(user: Any) -> str:
        return "x"

    endpoint = AuthEndpoint(RelayBox(API_KEY), client_id=async_id)
    with pytest.raises(
        TypeError, match="returned an awaitable, but this endpoint runs synchronously"
    ):
        endpoint.respond("GET", None, lambda: User(id=1))


def test_an_exception_that_is_not_access_denied_propagates() -> None:
    def broken(user: Any) -> str:
        raise LookupError("the user table is gone")

    endpoint = AuthEndpoint(RelayBox(API_KEY), client_id=broken)
    with pytest.raises(LookupError, match="table is gone"):
        endpoint.respond("GET", None, lambda: User(id=1))
    with pytest.raises(LookupError, match="table is gone"):
        asyncio.run(endpoint.arespond("GET", None, lambda: User(id=1)))


def test_a_lifetime_per_call_for_command_line_tools() -> None:
    endpoint = AuthEndpoint(RelayBox(API_KEY))
    token = claims(endpoint, endpoint.respond("GET", None, lambda: "7", expires_in=120))
    assert token["exp"] - token["iat"] == 120


@pytest.mark.parametrize(
    ("option", "value", "message"),
    [
        ("allow_anonymous", "yes", "allow_anonymous must be True or False"),
        ("client_id", "user.pk", "client_id must be a function"),
        ("get_permissions", 3, "get_permissions must be a function"),
        ("token_issued", "log", "token_issued must be a function"),
    ],
)
def test_bad_options_are_configuration_errors(option: str, value: object, message: str) -> None:
    with pytest.raises(ConfigurationError, match=message) as caught:
        AuthEndpoint(RelayBox(API_KEY), **{option: value})  # type: ignore[arg-type]
    assert caught.value.setting == option


def test_the_secret_and_the_token_never_reach_the_log(caplog: pytest.LogCaptureFixture) -> None:
    endpoint = AuthEndpoint(RelayBox(API_KEY), get_permissions=lambda *args: {"bad.room": ["join"]})
    with caplog.at_level(logging.DEBUG):
        refused = endpoint.respond("GET", None, lambda: "42")
    assert refused.status == 500
    assert "bad.room" in caplog.text
    assert b"bad.room" not in refused.body
    plain = AuthEndpoint(RelayBox(API_KEY))
    with caplog.at_level(logging.DEBUG):
        token = json.loads(plain.respond("GET", None, lambda: "42").body)["token"]
    assert "client_id='42'" in caplog.text
    assert SECRET not in caplog.text
    assert token.split(".")[2] not in caplog.text
    assert token not in repr(plain.respond("GET", None, lambda: "42"))


def test_a_user_whose_is_authenticated_is_not_implemented_is_anonymous() -> None:
    """Starlette's BaseUser raises NotImplementedError from properties a class leaves out."""

    class Half:
        id = "half"

        @property
        def is_authenticated(self) -> bool:
            raise NotImplementedError

    assert AuthEndpoint(RelayBox(API_KEY)).respond("GET", None, Half).status == 401
