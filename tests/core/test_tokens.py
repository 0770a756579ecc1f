"""Minting and verifying: the exact wire contract, and everything the service would reject."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import re
import warnings
from datetime import datetime, timezone
from typing import Any

import jwt
import pytest
from hypothesis import given
from hypothesis import strategies as st

from relaybox_integrations import (
    MAX_TOKEN_LENGTH,
    ConfigurationError,
    RelayBox,
    ShortSecretWarning,
    TokenRequestError,
    TokenTooLargeError,
    TokenVerificationError,
)

SECRET = "a-secret-long-enough-for-every-hmac-algorithm-in-these-tests-0123456789"
API_KEY = f"myapp.key1:{SECRET}"
NOW = 1_795_000_000.495  # 2026-11-18T11:06:40.495Z; fractional to exercise the milliseconds


class Clock:
    """A controllable clock for RelayBox(clock=...)."""

    def __init__(self, now: float = NOW) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


def segment(token: str, index: int) -> dict[str, Any]:
    part = token.split(".")[index]
    return dict(json.loads(base64.urlsafe_b64decode(part + "=" * (-len(part) % 4))))


def test_header_claims_and_body_follow_the_contract() -> None:
    relaybox = RelayBox(API_KEY, clock=Clock())
    response = relaybox.generate_token_response(
        client_id="1234", expires_in=300, permissions={"myRoom": ["publish", "presence"]}
    )
    assert segment(response.token, 0) == {"alg": "HS256", "typ": "JWT"}
    claims = segment(response.token, 1)
    assert claims == {
        "publicKey": "myapp.key1",
        "timestamp": "2026-11-18T11:06:40.495Z",
        "tokenType": "id_token",
        "clientId": "1234",
        "permissions": {"myRoom": ["publish", "presence"]},
        "iat": 1_795_000_000,
        "exp": 1_795_000_300,
        "iss": "https://relaybox.net",
    }
    assert response.as_dict() == {
        "token": response.token,
        "expiresIn": 300,
        "expiresAt": 1_795_000_300_000,
    }
    assert json.loads(response.to_json()) == response.as_dict()


@given(st.floats(min_value=0, max_value=4_000_000_000, allow_nan=False))
def test_one_clock_reading_gives_timestamp_iat_exp_and_expires_at(now: float) -> None:
    relaybox = RelayBox(API_KEY, clock=Clock(now))
    response = relaybox.generate_token_response()
    claims = segment(response.token, 1)
    now_ms = int(now * 1000)
    assert claims["iat"] == now_ms // 1000
    assert claims["exp"] == claims["iat"] + 900
    assert response.expires_at == claims["exp"] * 1000
    # JavaScript's toISOString() of the same instant.
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z", claims["timestamp"])
    instant = datetime.fromtimestamp(now_ms / 1000, timezone.utc)
    assert claims["timestamp"] == instant.strftime("%Y-%m-%dT%H:%M:%S.") + f"{now_ms % 1000:03d}Z"


def test_defaults_and_omitted_claims() -> None:
    relaybox = RelayBox(API_KEY)
    response = relaybox.generate_token_response()
    claims = segment(response.token, 1)
    assert response.expires_in == 900
    assert "clientId" not in claims
    assert "permissions" not in claims


def test_int_client_ids_are_sent_as_strings() -> None:
    claims = segment(RelayBox(API_KEY).generate_token_response(client_id=1234).token, 1)
    assert claims["clientId"] == "1234"


def test_instance_defaults_apply_and_calls_override_them() -> None:
    relaybox = RelayBox(API_KEY, expires_in=600, permissions=["subscribe"])
    claims = segment(relaybox.generate_token_response().token, 1)
    assert (claims["exp"] - claims["iat"], claims["permissions"]) == (600, ["subscribe"])
    claims = segment(
        relaybox.generate_token_response(expires_in=60, permissions={"r": ["*"]}).token, 1
    )
    assert (claims["exp"] - claims["iat"], claims["permissions"]) == (60, {"r": ["*"]})


client_ids = st.one_of(st.none(), st.text(min_size=1, max_size=40), st.integers(-(10**12), 10**12))
permission_sets = st.one_of(
    st.none(),
    st.lists(st.sampled_from(["join", "publish", "*"]), min_size=1, max_size=3),
    st.dictionaries(
        st.text("abcxyz:*-_ é", min_size=1, max_size=8),
        st.lists(st.sampled_from(["presence", "history"]), max_size=2),
        min_size=1,
        max_size=3,
    ),
)


@given(client_ids, st.integers(21, 86_400), permission_sets)
def test_tokens_are_byte_identical_to_jwt_encode(
    client_id: str | int | None, expires_in: int, permissions: Any
) -> None:
    clock = Clock()
    response = RelayBox(API_KEY, clock=clock).generate_token_response(
        client_id=client_id, expires_in=expires_in, permissions=permissions
    )
    claims = segment(response.token, 1)
    assert list(claims) == [
        key
        for key, present in [
            ("publicKey", True),
            ("timestamp", True),
            ("tokenType", True),
            ("clientId", client_id is not None),
            ("permissions", permissions is not None),
            ("iat", True),
            ("exp", True),
            ("iss", True),
        ]
        if present
    ]
    assert response.token == jwt.encode(claims, SECRET, algorithm="HS256")


@pytest.mark.parametrize("value", [True, False, 1.5, "300", None, 0, -5, 20, 86_401, 10**12])
def test_bad_expiry_is_a_configuration_error_at_start_up(value: object) -> None:
    with pytest.raises(ConfigurationError) as excinfo:
        RelayBox(API_KEY, expires_in=value)  # type: ignore[arg-type]
    assert excinfo.value.setting == "expires_in"
    assert repr(value) in str(excinfo.value) or str(value) in str(excinfo.value)


@pytest.mark.parametrize("value", [True, 1.5, "300", 0, 20, 86_401])
def test_bad_expiry_per_call_is_a_request_error(value: object) -> None:
    relaybox = RelayBox(API_KEY)
    with pytest.raises(TokenRequestError, match="expires_in must be") as excinfo:
        relaybox.generate_token_response(expires_in=value)  # type: ignore[arg-type]
    assert not isinstance(excinfo.value, ConfigurationError)


def test_refresh_margin_and_the_upper_bound_are_explained() -> None:
    with pytest.raises(ConfigurationError, match="refreshes 20 s before expiry"):
        RelayBox(API_KEY, expires_in=20)
    assert RelayBox(API_KEY, expires_in=21).expires_in == 21
    with pytest.raises(ConfigurationError, match="at most 86400 seconds"):
        RelayBox(API_KEY, expires_in=86_401)
    assert RelayBox(API_KEY, expires_in=86_400).expires_in == 86_400


@pytest.mark.parametrize(
    ("client_id", "message"),
    [
        ("", "must not be empty"),
        (True, "got bool"),
        (1.5, "got float"),
        (["1"], "got list"),
        pytest.param(10**5000, "too large", id="int-over-4300-digits"),
    ],
)
def test_bad_client_ids(client_id: object, message: str) -> None:
    with pytest.raises(TokenRequestError, match=message):
        RelayBox(API_KEY).generate_token_response(client_id=client_id)  # type: ignore[arg-type]


def test_bad_permissions_at_start_up_and_per_call() -> None:
    with pytest.raises(ConfigurationError, match="unknown permission 'write'") as excinfo:
        RelayBox(API_KEY, permissions={"room": ["write"]})
    assert excinfo.value.setting == "permissions"
    with pytest.raises(TokenRequestError, match="may not contain"):
        RelayBox(API_KEY).generate_token_response(permissions={"room.1": ["join"]})


def test_tokens_too_large_for_the_websocket_url_are_refused() -> None:
    huge = {f"room-{n:04d}": ["publish", "subscribe", "presence"] for n in range(200)}
    with pytest.raises(ConfigurationError, match=r"would be \d+ characters") as excinfo:
        RelayBox(API_KEY, permissions=huge)
    assert excinfo.value.setting == "permissions"
    relaybox = RelayBox(API_KEY)
    with pytest.raises(TokenTooLargeError, match=f"over the {MAX_TOKEN_LENGTH}"):
        relaybox.generate_token_response(permissions=huge)
    with pytest.raises(TokenTooLargeError):
        relaybox.generate_token_response(client_id="x" * MAX_TOKEN_LENGTH)


def test_a_short_secret_warns_once_at_configuration_not_per_token() -> None:
    with pytest.warns(ShortSecretWarning, match="is 6 bytes") as record:
        relaybox = RelayBox("myapp.key1:secret")
    assert len(record) == 1
    assert "secret" not in str(record[0].message).replace("Relaybox API secret", "")
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # any warning from here on fails the test
        token = relaybox.generate_token_response(client_id="1").token
        assert relaybox.verify_token(token)["clientId"] == "1"


def test_response_repr_hides_the_token() -> None:
    response = RelayBox(API_KEY).generate_token_response()
    assert response.token not in repr(response)
    assert "expires_in=900" in repr(response)


# --- verification ------------------------------------------------------------------------


def test_verify_returns_the_claims_of_our_tokens() -> None:
    relaybox = RelayBox(API_KEY)
    response = relaybox.generate_token_response(client_id="u1", permissions=["*"])
    claims = relaybox.verify_token(response.token)
    assert claims["clientId"] == "u1"
    assert claims["permissions"] == ["*"]


def test_expiry_is_checked_against_the_clock_valid_at_exp_minus_one_rejected_at_exp() -> None:
    clock = Clock()
    relaybox = RelayBox(API_KEY, clock=clock, expires_in=300)
    token = relaybox.generate_token_response().token
    exp = relaybox.verify_token(token)["exp"]
    clock.now = exp - 1
    assert relaybox.verify_token(token)["exp"] == exp
    clock.now = exp - 0.001
    assert relaybox.verify_token(token)["exp"] == exp
    clock.now = exp
    with pytest.raises(TokenVerificationError, match="expired"):
        relaybox.verify_token(token)


def forge(claims: dict[str, Any], key: str = SECRET, algorithm: str = "HS256") -> str:
    return jwt.encode(claims, key, algorithm=algorithm)


def good_claims(**overrides: Any) -> dict[str, Any]:
    claims: dict[str, Any] = {
        "publicKey": "myapp.key1",
        "timestamp": "2026-11-18T11:06:40.495Z",
        "tokenType": "id_token",
        "clientId": "1",
        "iat": int(NOW),
        "exp": int(NOW) + 900,
        "iss": "https://relaybox.net",
    }
    claims.update(overrides)
    return {key: value for key, value in claims.items() if value is not None}


def test_a_token_forged_with_the_right_claims_and_secret_is_accepted() -> None:
    assert RelayBox(API_KEY, clock=Clock()).verify_token(forge(good_claims()))["clientId"] == "1"


def test_hs256_tokens_with_other_header_fields_are_accepted() -> None:
    token = jwt.encode(good_claims(), SECRET, algorithm="HS256", headers={"kid": "key1"})
    assert token.split(".")[0] != RelayBox(API_KEY).generate_token_response().token.split(".")[0]
    assert RelayBox(API_KEY, clock=Clock()).verify_token(token)["clientId"] == "1"


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def sign_raw(payload: bytes, header: bytes = b'{"alg":"HS256","typ":"JWT"}') -> str:
    """A token over arbitrary header and payload bytes, correctly signed with SECRET."""
    signing_input = f"{b64url(header)}.{b64url(payload)}"
    signature = hmac.new(SECRET.encode(), signing_input.encode(), hashlib.sha256).digest()
    return f"{signing_input}.{b64url(signature)}"


def unsigned(claims: dict[str, Any]) -> str:
    header = b64url(json.dumps({"alg": "none", "typ": "JWT"}).encode())
    return f"{header}.{b64url(json.dumps(claims).encode())}."


@pytest.mark.parametrize(
    ("token", "message"),
    [
        (forge(good_claims(), algorithm="HS512"), "algorithm 'HS512' is not accepted"),
        (forge(good_claims(), algorithm="HS384"), "algorithm 'HS384' is not accepted"),
        (unsigned(good_claims()), "algorithm 'none' is not accepted"),
        (forge(good_claims(), key=SECRET[::-1]), "signature"),
        (forge(good_claims(iss="https://evil.example")), "issuer"),
        (forge(good_claims(iss=None)), "issuer"),
        (forge(good_claims(tokenType="access_token")), "token type"),
        (forge(good_claims(tokenType=None)), "token type"),
        (forge(good_claims(publicKey="myapp.key2")), "public key 'myapp.key2'"),
        (forge(good_claims(exp=None)), "no numeric exp"),
        (forge(good_claims(exp="tomorrow")), "no numeric exp"),
        (forge(good_claims(exp=int(NOW) - 1)), "expired"),
        (forge(good_claims(nbf=int(NOW) + 60)), "not valid before"),
        (forge(good_claims(iat="yesterday")), "iat 'yesterday' is not a number"),
        (forge(good_claims(iat=True)), "iat True is not a number"),
        (forge(good_claims(clientId="")), "clientId"),
        (forge(good_claims(clientId=7)), "clientId"),
        ("", "three"),
        ("a.b", "three"),
        ("a.b.c.d", "three"),
        ("!!!.e30.sig", "header is not base64url JSON"),
        (f"{forge(good_claims()).split('.')[0]}.bm90IGpzb24.AAAA", "signature"),
        ("W10.e30.AAAA", "header is not a JSON object"),
        ("e30.e30.\udcff", "outside ASCII"),  # what a bad byte in argv turns into
        ("e30.e30.sïg", "outside ASCII"),
        (f"{b64url(b'[' * 100_000)}.e30.AAAA", "header is nested too deeply"),
        (sign_raw(b"[" * 100_000), "payload is nested too deeply"),
    ],
)
def test_verify_rejects_what_the_service_would_reject(token: str, message: str) -> None:
    with pytest.raises(TokenVerificationError, match=re.escape(message)):
        RelayBox(API_KEY, clock=Clock()).verify_token(token)


def test_verify_rejects_non_strings() -> None:
    with pytest.raises(TokenVerificationError, match="must be a str"):
        RelayBox(API_KEY).verify_token(b"a.b.c")  # type: ignore[arg-type]


@given(st.text(max_size=200))
def test_verify_raises_only_its_own_error_on_arbitrary_input(token: str) -> None:
    with pytest.raises(TokenVerificationError):
        RelayBox(API_KEY, clock=Clock()).verify_token(token)


@given(st.binary(max_size=120), st.binary(max_size=120))
def test_verify_raises_only_its_own_error_on_arbitrary_segments(
    header: bytes, payload: bytes
) -> None:
    with pytest.raises(TokenVerificationError):
        RelayBox(API_KEY, clock=Clock()).verify_token(sign_raw(payload, header))


def test_a_short_secret_warning_points_at_the_line_that_configured() -> None:
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        RelayBox("myapp.key1:secret")
    (warning,) = [w for w in caught if issubclass(w.category, ShortSecretWarning)]
    assert warning.filename == __file__
