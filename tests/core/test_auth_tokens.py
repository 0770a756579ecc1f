"""Relaybox users' auth tokens, verified locally: what Relaybox's auth service signs is
accepted, everything its own authorizer refuses is refused, and so are the refresh and MFA
tokens that the official library's ``verifyAuthToken`` lets through."""

from __future__ import annotations

import json
import logging
import time

import pytest

from relaybox_integrations import RelayBox, TokenExpiredError, TokenVerificationError
from relaybox_integrations.auth_tokens import (
    CHALLENGE,
    EXPIRED_TOKEN,
    INVALID_TOKEN,
    NO_USER,
    RelayBoxUser,
    bearer_token,
    unauthorized,
)
from tests.support.auth_tokens import (
    API_KEY,
    CLIENT_ID,
    PUBLIC_KEY,
    SECRET,
    USER_ID,
    bad_tokens,
    good_token,
)
from tests.support.snippets import assert_runs, run_snippet
from tests.support.verifier import node_user_token

PAGE = "docs/core/tokens.rst"
SNIPPETS = {("docs/core/tokens.rst", "Relaybox users' auth tokens", "python"): 1}


def test_a_token_signed_as_relayboxs_auth_service_signs_it_names_its_user() -> None:
    before = int(time.time())
    user = RelayBox(API_KEY).verify_auth_token(good_token())
    assert isinstance(user, RelayBoxUser)
    assert (user.user_id, user.client_id, user.public_key) == (USER_ID, CLIENT_ID, PUBLIC_KEY)
    assert user.issued_at is not None
    assert before <= user.issued_at <= int(time.time())
    assert user.expires_at == user.issued_at + 300  # the auth service's default lifetime


def test_the_user_is_a_stateless_authenticated_user() -> None:
    user = RelayBox(API_KEY).verify_auth_token(good_token())
    assert (user.is_authenticated, user.is_active, user.is_anonymous) == (True, True, False)
    assert user.identity == user.display_name == user.get_id() == CLIENT_ID
    with pytest.raises(AttributeError):
        user.client_id = "someone-else"  # type: ignore[misc]


@pytest.mark.parametrize("kind", sorted(bad_tokens()))
def test_every_other_token_is_refused(kind: str) -> None:
    token = bad_tokens()[kind]
    with pytest.raises(TokenVerificationError) as caught:
        RelayBox(API_KEY).verify_auth_token(token)
    assert (type(caught.value) is TokenExpiredError) == (kind == "expired")
    assert token not in str(caught.value)
    assert SECRET not in str(caught.value)


def test_the_clock_decides_expiry() -> None:
    token = good_token()
    issued = RelayBox(API_KEY).verify_auth_token(token).expires_at - 300
    assert RelayBox(API_KEY, clock=lambda: issued + 299.5).verify_auth_token(token)
    with pytest.raises(TokenExpiredError):
        RelayBox(API_KEY, clock=lambda: issued + 300).verify_auth_token(token)


def test_a_token_without_client_id_or_with_an_empty_one_is_refused() -> None:
    for client_id in (None, ""):
        token = node_user_token(SECRET, USER_ID, PUBLIC_KEY, client_id)
        with pytest.raises(TokenVerificationError, match="clientId"):
            RelayBox(API_KEY).verify_auth_token(token)


def test_a_non_string_token_is_refused() -> None:
    with pytest.raises(TokenVerificationError, match="str"):
        RelayBox(API_KEY).verify_auth_token(b"bytes")  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("header", "token"),
    [
        (None, None),
        ("", None),
        ("Basic dXNlcjpwYXNz", None),
        ("Token 9944b09199c62bcf9418ad846dd0e4bbdfc6ee4b", None),
        ("Bearer abc.def.ghi", "abc.def.ghi"),
        ("bearer abc.def.ghi", "abc.def.ghi"),
        ("BEARER   abc.def.ghi ", "abc.def.ghi"),
    ],
)
def test_the_bearer_token_is_read_from_its_header(header: str | None, token: str | None) -> None:
    assert bearer_token(header) == token


@pytest.mark.parametrize("header", ["Bearer", "Bearer ", "Bearer a b", "Bearer a.b.c extra"])
def test_a_bearer_header_without_one_token_is_refused(header: str) -> None:
    with pytest.raises(TokenVerificationError, match="Authorization"):
        bearer_token(header)


def test_the_401_says_expired_or_invalid_and_hides_the_reason(
    caplog: pytest.LogCaptureFixture,
) -> None:
    tokens = bad_tokens()
    relaybox = RelayBox(API_KEY)
    caplog.set_level(logging.INFO, "relaybox_integrations")
    for kind, message in (("expired", EXPIRED_TOKEN), ("wrong issuer", INVALID_TOKEN)):
        with pytest.raises(TokenVerificationError) as caught:
            relaybox.verify_auth_token(tokens[kind])
        answer = unauthorized(caught.value)
        assert answer.status == 401
        assert json.loads(answer.body) == {"error": "invalid_token", "message": message}
        headers = dict(answer.headers)
        assert headers["WWW-Authenticate"] == CHALLENGE == 'Bearer error="invalid_token"'
        assert headers["Cache-Control"] == "no-store"
        assert tokens[kind] not in caplog.text
    assert "issuer 'https://evil.example'" in caplog.text  # the log says which check failed
    assert json.loads(unauthorized().body)["message"] == NO_USER


def test_a_huge_forged_header_is_logged_cut_short(caplog: pytest.LogCaptureFixture) -> None:
    header = json.dumps({"alg": "x" * 10_000}).encode()
    from jwt.utils import base64url_encode

    token = f"{base64url_encode(header).decode()}.e30.sig"
    caplog.set_level(logging.INFO, "relaybox_integrations")
    with pytest.raises(TokenVerificationError) as caught:
        RelayBox(API_KEY).verify_auth_token(token)
    unauthorized(caught.value)
    assert len(caplog.records[-1].getMessage()) < 300


def test_the_page_has_the_snippets_these_tests_run() -> None:
    assert_runs(SNIPPETS)


def test_the_pages_snippet_tells_users_expired_and_invalid_tokens_apart(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("RELAYBOX_API_KEY", API_KEY)
    whoami = run_snippet(PAGE, "Relaybox users' auth tokens", 0)["whoami"]
    assert whoami(good_token()) == (200, f"{CLIENT_ID} (Relaybox user {USER_ID})")
    assert whoami(bad_tokens()["expired"])[1].startswith("expired")
    assert whoami(bad_tokens()["refresh token"]) == (401, "not a signed-in user's token")
