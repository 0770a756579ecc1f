"""The core: ``repr()``/``str()`` of every public object, every exception it raises (for bad
keys, bad options and bad tokens), and what pickling would carry, never hold the secret."""

from __future__ import annotations

import json
import pickle
import traceback
import warnings

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import relaybox_integrations
from relaybox_integrations import (
    AccessDenied,
    ApiKey,
    AuthEndpoint,
    ConfigurationError,
    EndpointResponse,
    PublishResult,
    RelayBox,
    RelayBoxError,
    RelayBoxUser,
    RoomAccessEndpoint,
    ShortSecretWarning,
    TokenResponse,
)
from tests.hygiene.conftest import MALFORMED_KEYS, assert_no_secret
from tests.hygiene.test_webhooks import webhook_objects
from tests.support.servers import TEST_API_KEY, TEST_SECRET
from tests.support.verifier import node_sign

OTHER_KEY = "testapp.testkey:another-secret-of-the-same-app-0123456789"


def public_objects() -> dict[str, object]:
    """One configured instance of every public class the core exports."""
    relaybox = RelayBox(TEST_API_KEY, permissions={"chat:*": ["subscribe"]})
    endpoint = AuthEndpoint(relaybox, allow_anonymous=True)
    token = relaybox.generate_token_response(client_id="1")
    return {
        "ApiKey": ApiKey(TEST_API_KEY),
        "RelayBox": relaybox,
        "TokenResponse": token,
        "PublishResult": PublishResult(request_id="4b4d3c2e", timestamp=1_764_643_200_123),
        "AuthEndpoint": endpoint,
        "RoomAccessEndpoint": RoomAccessEndpoint(endpoint, lambda *_: True),
        "RelayBoxUser": RelayBoxUser(
            user_id="u-1", client_id="1", public_key="testapp.testkey", expires_at=1_764_643_200
        ),
        "EndpointResponse": endpoint.respond("GET", None, lambda: "1"),
        "AccessDenied": AccessDenied(),
        "ConfigurationError": ConfigurationError("expires_in", "too short"),
        **webhook_objects(),
    }


def test_every_public_class_is_covered() -> None:
    exported = {
        name
        for name in relaybox_integrations.__all__
        if isinstance(getattr(relaybox_integrations, name), type)
        and not issubclass(getattr(relaybox_integrations, name), (RelayBoxError, Warning))
    }
    assert exported <= set(public_objects())


@pytest.mark.parametrize("name", list(public_objects()))
def test_repr_and_str(name: str) -> None:
    value = public_objects()[name]
    assert_no_secret(repr(value), str(value), f"{value}", f"{value!r}")


@pytest.mark.parametrize("name", ["TokenResponse", "EndpointResponse"])
def test_token_stays_out_of_repr(name: str) -> None:
    """A token is a credential too: objects holding one must not print it into logs."""
    value = public_objects()[name]
    if isinstance(value, TokenResponse):
        token = value.token
    else:
        assert isinstance(value, EndpointResponse)
        token = json.loads(value.body)["token"]
    signature = token.rsplit(".", 1)[1]
    assert signature not in repr(value), f"{name}'s repr shows the token: {value!r}"
    assert signature not in str(value)


@pytest.mark.parametrize("name", ["ApiKey", "RelayBox", "AuthEndpoint", "RoomAccessEndpoint"])
def test_objects_holding_the_secret_refuse_pickling(name: str) -> None:
    with pytest.raises(TypeError) as raised:
        pickle.dumps(public_objects()[name])
    assert_no_secret(str(raised.value))


@pytest.mark.parametrize("key", list(MALFORMED_KEYS.values()), ids=list(MALFORMED_KEYS))
def test_malformed_keys(key: str, monkeypatch: pytest.MonkeyPatch) -> None:
    for build in (lambda: ApiKey(key), lambda: RelayBox(key)):
        with pytest.raises(ConfigurationError) as raised:
            build()
        assert raised.value.setting == "api_key"
        assert_no_secret(traceback.format_exception(raised.value), repr(raised.value))
    monkeypatch.setenv("RELAYBOX_API_KEY", key)
    with pytest.raises(ConfigurationError) as raised:
        RelayBox.from_env()
    assert_no_secret(traceback.format_exception(raised.value))


def test_short_secret_warning() -> None:
    with pytest.warns(ShortSecretWarning) as caught:
        RelayBox("testapp.testkey:short-secret-XYZ")
    assert all("short-secret-XYZ" not in str(warning.message) for warning in caught)


@settings(max_examples=200, deadline=None)
@given(
    expires_in=st.one_of(st.integers(), st.floats(), st.text(max_size=5), st.none()),
    permissions=st.recursive(
        st.none() | st.text(max_size=8) | st.integers() | st.sampled_from(["*", "publish"]),
        lambda inner: (
            st.lists(inner, max_size=3)
            | st.dictionaries(st.text(max_size=8) | st.integers(), inner, max_size=3)
        ),
        max_leaves=8,
    ),
)
def test_any_bad_option_is_a_configuration_error_without_the_secret(
    expires_in: object, permissions: object
) -> None:
    """Only ConfigurationError escapes: another exception type would carry the frame
    holding the key into debug pages that show local variables."""
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        try:
            RelayBox(TEST_API_KEY, expires_in=expires_in, permissions=permissions)  # type: ignore[arg-type]
        except ConfigurationError as exc:
            assert_no_secret(traceback.format_exception(exc))


def test_verification_errors() -> None:
    relaybox = RelayBox(TEST_API_KEY)
    payload = {"publicKey": "testapp.testkey", "tokenType": "id_token"}
    foreign = [
        node_sign(payload, OTHER_KEY.split(":")[1], issuer="https://relaybox.net"),
        node_sign(payload, TEST_SECRET, issuer="https://evil.example"),
        node_sign({**payload, "tokenType": "access"}, TEST_SECRET, issuer="https://relaybox.net"),
        "not.a.token",
        TEST_SECRET,
    ]
    for token in foreign:
        with pytest.raises(RelayBoxError) as raised:
            relaybox.verify_token(token)
        # Not even when handed the secret itself as the token.
        assert_no_secret(traceback.format_exception(raised.value))
