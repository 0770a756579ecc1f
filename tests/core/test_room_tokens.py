"""Room access tokens: what the official library's ``rooms.generateAccessToken`` mints, checked
by jsonwebtoken as Relaybox's core checks them (signature, ``exp``, then ``roomId``)."""

from __future__ import annotations

import time

import pytest
from hypothesis import given
from hypothesis import strategies as st

from relaybox_integrations import RelayBox, TokenRequestError, TokenVerificationError
from relaybox_integrations.core import ROOM_TOKEN_TYPE
from tests.support.verifier import node_sign, node_verify_room_access

SECRET = "room-token-tests-secret-0123456789abcdef"
API_KEY = f"roomapp.key1:{SECRET}"


def test_claims_are_the_official_librarys_and_jsonwebtoken_accepts_them() -> None:
    relaybox = RelayBox(API_KEY)
    before = int(time.time())
    response = relaybox.generate_room_access_token("team:7", 42, expires_in=600)
    claims = node_verify_room_access(response.token, SECRET, "team:7")
    assert claims["publicKey"] == "roomapp.key1"
    assert (claims["roomId"], claims["clientId"]) == ("team:7", "42")
    assert (claims["tokenType"], claims["expiresIn"]) == (ROOM_TOKEN_TYPE, 600)
    assert claims["iss"] == "https://relaybox.net"
    assert claims["exp"] - claims["iat"] == 600
    assert before <= claims["iat"] <= int(time.time())
    assert response.expires_at == claims["exp"] * 1000
    assert claims["timestamp"].endswith("Z")


def test_the_default_lifetime_is_the_instances() -> None:
    response = RelayBox(API_KEY, expires_in=120).generate_room_access_token("lobby", "u")
    assert response.expires_in == 120


def test_the_cores_check_refuses_it_for_another_room() -> None:
    token = RelayBox(API_KEY).generate_room_access_token("team:7", "alice").token
    with pytest.raises(AssertionError, match="Room access denied"):
        node_verify_room_access(token, SECRET, "team:8")


def test_verification_admits_to_its_room_only() -> None:
    relaybox = RelayBox(API_KEY)
    token = relaybox.generate_room_access_token("team:7", "alice").token
    assert relaybox.verify_room_access_token(token, "team:7")["clientId"] == "alice"
    with pytest.raises(TokenVerificationError, match="not 'team:8'"):
        relaybox.verify_room_access_token(token, "team:8")
    with pytest.raises(TokenVerificationError, match="signature"):
        RelayBox(f"roomapp.key1:{'x' * 40}").verify_room_access_token(token, "team:7")


def test_a_token_jsonwebtoken_signed_as_the_official_library_does_is_admitted() -> None:
    token = node_sign(
        {"publicKey": "roomapp.key1", "roomId": "team:7", "clientId": "bob"},
        SECRET,
        expiresIn=60,
        issuer="https://relaybox.net",
    )
    assert RelayBox(API_KEY).verify_room_access_token(token, "team:7")["clientId"] == "bob"


def test_a_room_token_of_another_public_key_is_refused() -> None:
    """Signed with this secret, but issued for another key: not this application's."""
    token = node_sign(
        {"publicKey": "otherapp.key1", "roomId": "team:7", "clientId": "bob"},
        SECRET,
        expiresIn=60,
        issuer="https://relaybox.net",
    )
    with pytest.raises(TokenVerificationError, match=r"'otherapp\.key1', not 'roomapp\.key1'"):
        RelayBox(API_KEY).verify_room_access_token(token, "team:7")
    issued_for_key2 = RelayBox(f"roomapp.key2:{SECRET}").generate_room_access_token("team:7", "u")
    with pytest.raises(TokenVerificationError, match=r"public key 'roomapp\.key2'"):
        RelayBox(API_KEY).verify_room_access_token(issued_for_key2.token, "team:7")


def test_an_expired_room_token_is_refused() -> None:
    past = time.time() - 3600
    token = RelayBox(API_KEY, clock=lambda: past).generate_room_access_token("lobby", "u").token
    with pytest.raises(TokenVerificationError, match="expired"):
        RelayBox(API_KEY).verify_room_access_token(token, "lobby")


# "lobby\n": JavaScript's $ does not match before a trailing newline, as Python's does.
@pytest.mark.parametrize(
    "room_id", ["", "chat room", "chat/1", "día", "a#b", "lobby\n", "\nlobby", None, 7]
)
def test_a_room_id_the_core_would_refuse_is_a_request_error(room_id: object) -> None:
    with pytest.raises(TokenRequestError, match="room_id"):
        RelayBox(API_KEY).generate_room_access_token(room_id, "u")  # type: ignore[arg-type]


@given(st.from_regex(r"[A-Za-z0-9\-_:.]{1,64}", fullmatch=True))
def test_every_room_id_the_core_accepts_round_trips(room_id: str) -> None:
    relaybox = RelayBox(API_KEY)
    token = relaybox.generate_room_access_token(room_id, "u").token
    assert relaybox.verify_room_access_token(token, room_id)["roomId"] == room_id
