"""The shared HTTP behaviour every adapter answers with."""

from __future__ import annotations

import json
import logging

import pytest

from relaybox_integrations import AccessDenied, AuthEndpoint, ConfigurationError, RelayBox

SECRET = "a-long-enough-secret-for-hs256-keys-000000"
API_KEY = f"myapp.key1:{SECRET}"


@pytest.fixture
def endpoint() -> AuthEndpoint:
    return AuthEndpoint(RelayBox(API_KEY, expires_in=300))


def headers(response: object) -> dict[str, str]:
    return dict(response.headers)  # type: ignore[attr-defined]


@pytest.mark.parametrize("method", ["GET", "POST"])
def test_get_and_post_go_on_to_identify_the_user(endpoint: AuthEndpoint, method: str) -> None:
    assert endpoint.reject_method(method) is None


def test_options_is_answered_without_a_token(endpoint: AuthEndpoint) -> None:
    response = endpoint.reject_method("OPTIONS")
    assert response is not None
    assert (response.status, response.body) == (204, b"")
    assert headers(response)["Allow"] == "GET, POST, OPTIONS"
    assert headers(response)["Cache-Control"] == "no-store"


@pytest.mark.parametrize("method", ["PUT", "DELETE", "PATCH", "HEAD", "TRACE", "BREW"])
def test_other_methods_get_405_json_with_allow(endpoint: AuthEndpoint, method: str) -> None:
    response = endpoint.reject_method(method)
    assert response is not None
    assert response.status == 405
    assert headers(response)["Allow"] == "GET, POST, OPTIONS"
    assert json.loads(response.body)["error"] == "method_not_allowed"


def test_a_user_gets_a_token_that_is_never_cached(endpoint: AuthEndpoint) -> None:
    response = endpoint.issue("42")
    assert response.status == 200
    assert headers(response) == {
        "Content-Type": "application/json",
        "Cache-Control": "no-store",
        "Pragma": "no-cache",
    }
    body = json.loads(response.body)
    assert set(body) == {"token", "expiresIn", "expiresAt"}
    claims = endpoint.relaybox.verify_token(body["token"])
    assert claims["clientId"] == "42"
    assert body["expiresAt"] == claims["exp"] * 1000
    assert body["expiresIn"] == 300


def test_anonymous_users_get_401_json_by_default(endpoint: AuthEndpoint) -> None:
    response = endpoint.issue(None)
    assert response.status == 401
    assert json.loads(response.body) == {
        "error": "not_authenticated",
        "message": "Log in to get a Relaybox token.",
    }
    assert headers(response)["Cache-Control"] == "no-store"


def test_anonymous_tokens_when_allowed_carry_no_client_id() -> None:
    endpoint = AuthEndpoint(RelayBox(API_KEY), allow_anonymous=True)
    response = endpoint.issue(None)
    assert response.status == 200
    claims = endpoint.relaybox.verify_token(json.loads(response.body)["token"])
    assert "clientId" not in claims


def test_allow_anonymous_must_be_a_bool() -> None:
    with pytest.raises(ConfigurationError, match="allow_anonymous must be True or False"):
        AuthEndpoint(RelayBox(API_KEY), allow_anonymous="yes")  # type: ignore[arg-type]


def test_hooks_refuse_with_403(endpoint: AuthEndpoint) -> None:
    response = endpoint.deny(AccessDenied("Your plan has no realtime features."))
    assert response.status == 403
    assert json.loads(response.body) == {
        "error": "forbidden",
        "message": "Your plan has no realtime features.",
    }


def test_per_request_permissions_reach_the_token(endpoint: AuthEndpoint) -> None:
    response = endpoint.issue("7", permissions={"room:7": ["join", "publish"]})
    claims = endpoint.relaybox.verify_token(json.loads(response.body)["token"])
    assert claims["permissions"] == {"room:7": ["join", "publish"]}


def test_unusable_hook_output_is_a_logged_server_error_not_a_crash(
    endpoint: AuthEndpoint, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.ERROR, logger="relaybox_integrations"):
        response = endpoint.issue("", permissions=None)
        assert response.status == 500
        response = endpoint.issue("7", permissions={"bad.room": ["join"]})
        assert response.status == 500
    assert json.loads(response.body)["error"] == "token_error"
    assert "bad.room" in caplog.text
    assert "bad.room" not in response.body.decode()


def test_the_secret_and_the_token_never_reach_the_log(
    endpoint: AuthEndpoint, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.DEBUG):
        token = json.loads(endpoint.issue("42").body)["token"]
        endpoint.issue(None)
        endpoint.issue("", permissions=None)
    assert "client_id='42'" in caplog.text
    assert SECRET not in caplog.text
    assert token not in caplog.text
    assert token.split(".")[2] not in caplog.text
