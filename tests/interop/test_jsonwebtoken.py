"""Our tokens against Node's jsonwebtoken 9, the library Relaybox's service verifies with.

Both directions: jsonwebtoken accepts every token we mint and reads back exactly the claims we
put in; tokens jsonwebtoken signs with the reference's claims pass ``verify_token``, and its
forgeries fail both sides.
"""

from __future__ import annotations

import time
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from relaybox_integrations import RelayBox, TokenVerificationError
from tests.support.verifier import node_sign, node_verify, node_verify_many

SECRET = "an-interop-secret-long-enough-for-hs256-and-hs512-0123456789-abcdef"
API_KEY = f"interopapp.key7:{SECRET}"


def test_jsonwebtoken_accepts_our_token_and_reads_every_claim() -> None:
    relaybox = RelayBox(API_KEY)
    response = relaybox.generate_token_response(
        client_id="user-1", expires_in=300, permissions={"myRoom": ["publish", "presence"]}
    )
    claims = node_verify(response.token, SECRET)
    assert claims == relaybox.verify_token(response.token)
    assert claims["publicKey"] == "interopapp.key7"
    assert claims["tokenType"] == "id_token"
    assert claims["clientId"] == "user-1"
    assert claims["permissions"] == {"myRoom": ["publish", "presence"]}
    assert claims["iss"] == "https://relaybox.net"
    assert claims["exp"] - claims["iat"] == 300
    assert response.expires_at == claims["exp"] * 1000
    assert abs(claims["iat"] - time.time()) < 60


@settings(max_examples=25, suppress_health_check=[HealthCheck.too_slow], deadline=None)
@given(
    st.lists(
        st.tuples(
            st.one_of(st.none(), st.text(min_size=1, max_size=30), st.integers(0, 10**9)),
            st.one_of(
                st.none(),
                st.just(["*"]),
                st.just(["subscribe", "presence"]),
                st.dictionaries(
                    st.text("abc:*-_ü", min_size=1, max_size=6),
                    st.lists(st.sampled_from(["join", "history", "*"]), max_size=3),
                    min_size=1,
                    max_size=3,
                ),
            ),
        ),
        min_size=1,
        max_size=8,
    )
)
def test_jsonwebtoken_reads_back_what_we_minted(cases: list[tuple[Any, Any]]) -> None:
    relaybox = RelayBox(API_KEY)
    tokens = [
        relaybox.generate_token_response(client_id=client_id, permissions=permissions).token
        for client_id, permissions in cases
    ]
    verdicts = node_verify_many(tokens, SECRET)
    for (client_id, permissions), verdict in zip(cases, verdicts, strict=True):
        assert verdict["ok"], verdict
        claims = verdict["claims"]
        assert claims.get("clientId") == (None if client_id is None else str(client_id))
        assert claims.get("permissions") == permissions


def test_jsonwebtoken_rejects_our_token_once_expired() -> None:
    token = RelayBox(API_KEY, expires_in=60).generate_token_response().token
    exp = RelayBox(API_KEY).verify_token(token)["exp"]
    assert node_verify_many([token], SECRET, now=exp - 1)[0]["ok"]
    verdict = node_verify_many([token], SECRET, now=exp)[0]
    assert not verdict["ok"]
    assert verdict["error"] == "jwt expired"


def reference_payload(**overrides: Any) -> dict[str, Any]:
    """The official library's payload; jsonwebtoken adds iat, exp and iss from its options."""
    payload = {
        "publicKey": "interopapp.key7",
        "timestamp": "2026-11-27T18:44:38.495Z",
        "tokenType": "id_token",
        "clientId": "1234",
        "permissions": {"myRoom": ["publish"]},
    }
    payload.update(overrides)
    return payload


def test_tokens_signed_by_jsonwebtoken_pass_verify_token() -> None:
    token = node_sign(reference_payload(), SECRET, expiresIn=300, issuer="https://relaybox.net")
    claims = RelayBox(API_KEY).verify_token(token)
    assert claims["clientId"] == "1234"
    assert claims["exp"] - claims["iat"] == 300


FORGERIES = {
    "another algorithm": (
        {},
        {"algorithm": "HS512", "expiresIn": 300, "issuer": "https://relaybox.net"},
        SECRET,
        "algorithm 'HS512'",
    ),
    "alg none": (
        {},
        {"algorithm": "none", "expiresIn": 300, "issuer": "https://relaybox.net"},
        "",
        "algorithm 'none'",
    ),
    "another secret": (
        {},
        {"expiresIn": 300, "issuer": "https://relaybox.net"},
        SECRET[::-1],
        "signature",
    ),
    "wrong issuer": ({}, {"expiresIn": 300, "issuer": "https://evil.example"}, SECRET, "issuer"),
    "no issuer": ({}, {"expiresIn": 300}, SECRET, "issuer"),
    "wrong type": (
        {"tokenType": "access_token"},
        {"expiresIn": 300, "issuer": "https://relaybox.net"},
        SECRET,
        "token type",
    ),
    "no expiry": ({}, {"issuer": "https://relaybox.net"}, SECRET, "exp"),
    "expired": ({}, {"expiresIn": -10, "issuer": "https://relaybox.net"}, SECRET, "expired"),
}


@pytest.mark.parametrize("name", sorted(FORGERIES))
def test_jsonwebtoken_forgeries_fail_verify_token(name: str) -> None:
    overrides, options, secret, message = FORGERIES[name]
    token = node_sign(reference_payload(**overrides), secret, **options)
    with pytest.raises(TokenVerificationError, match=message):
        RelayBox(API_KEY).verify_token(token)
    # The service's own check agrees on all but one: jsonwebtoken accepts a token without
    # exp, which verify_token refuses on purpose (a token that never expires).
    assert node_verify_many([token], SECRET)[0]["ok"] is (name == "no expiry")


def respellings(signature: str) -> dict[str, str]:
    """Other spellings of the same signature bytes that lenient base64 decoders accept."""
    last = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
    index = last.index(signature[-1])
    # 32 bytes are 43 characters: the last carries 4 bits of data and 2 unused ones.
    stray_bits = last[index ^ 0b01]
    return {
        "padded": signature + "=",
        "stray bits in the last character": signature[:-1] + stray_bits,
        "standard alphabet": signature.replace("-", "+").replace("_", "/"),
    }


def test_respelt_signatures_are_refused_as_jsonwebtoken_refuses_them() -> None:
    relaybox = RelayBox(API_KEY)
    # A token whose signature spells out both '-' or '_' in base64url, so every case applies.
    token = next(
        t
        for t in (relaybox.generate_token_response(client_id=str(n)).token for n in range(200))
        if {"-", "_"} & set(t.rsplit(".", 1)[1])
    )
    head, signature = token.rsplit(".", 1)
    variants = respellings(signature)
    verdicts = node_verify_many([f"{head}.{v}" for v in variants.values()], SECRET)
    for (name, variant), verdict in zip(variants.items(), verdicts, strict=True):
        assert not verdict["ok"], f"jsonwebtoken accepted the {name} signature"
        with pytest.raises(TokenVerificationError, match="signature"):
            relaybox.verify_token(f"{head}.{variant}")
