"""DRF requests authenticated by a Relaybox user's auth token, through DRF's APIClient."""

from __future__ import annotations

from typing import Any

import pytest

pytest.importorskip("rest_framework")

from rest_framework.test import APIClient

from relaybox_integrations.auth_tokens import EXPIRED_TOKEN, INVALID_TOKEN, NO_USER, RelayBoxUser
from tests.support.auth_tokens import (
    API_KEY,
    CLIENT_ID,
    SECRET,
    bad_tokens,
    good_token,
)

pytestmark = pytest.mark.django_db
HOOK = "tests.django.auth_token_hooks.user_from_auth_token"


@pytest.fixture(autouse=True)
def token_settings(settings: Any) -> None:
    settings.ROOT_URLCONF = "tests.django.auth_token_urls"
    settings.RELAYBOX = {"API_KEY": API_KEY, "USER_FROM_AUTH_TOKEN_HOOK": HOOK}


@pytest.fixture
def member(django_user_model: Any) -> Any:
    return django_user_model.objects.create_user(CLIENT_ID, password="member-password")


def client_with(token: str) -> APIClient:
    client = APIClient(enforce_csrf_checks=True)
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
    return client


def assert_refused(response: Any, message: str, token: str = "") -> None:
    assert response.status_code == 401
    assert response.json() == {"detail": message}
    assert response["WWW-Authenticate"] == 'Bearer realm="api"'
    body = response.content.decode()
    assert SECRET not in body
    assert not token or token not in body


def test_a_valid_token_is_the_hooks_user_and_request_auth_the_relaybox_user(member: Any) -> None:
    client = client_with(good_token())
    for method in (client.get, client.post):  # no session: no CSRF check on POST
        answer = method("/api/whoami").json()
        assert answer == {
            "authenticated": True,
            "username": CLIENT_ID,
            "type": type(member).__name__,
            "client_id": CLIENT_ID,
        }


def test_without_the_hook_the_user_is_the_stateless_relaybox_user(settings: Any) -> None:
    settings.RELAYBOX = {"API_KEY": API_KEY}
    answer = client_with(good_token()).get("/api/whoami").json()
    assert answer["type"] == RelayBoxUser.__name__
    assert answer["authenticated"] is True
    assert answer["client_id"] == CLIENT_ID


@pytest.mark.parametrize("kind", sorted(bad_tokens()))
def test_every_bad_token_is_a_401(kind: str, member: Any) -> None:
    token = bad_tokens()[kind]
    message = EXPIRED_TOKEN if kind == "expired" else INVALID_TOKEN
    assert_refused(client_with(token).get("/api/whoami"), message, token)


def test_no_user_or_an_inactive_one_is_a_401(django_user_model: Any) -> None:
    assert_refused(client_with(good_token()).get("/api/whoami"), NO_USER)
    django_user_model.objects.create_user(CLIENT_ID, is_active=False)
    assert_refused(client_with(good_token()).get("/api/whoami"), NO_USER)


def test_without_the_header_the_next_class_authenticates(member: Any) -> None:
    client = APIClient()
    assert client.get("/api/whoami").status_code == 401  # anonymous: not authenticated
    client.force_login(member)  # SessionAuthentication, listed after ours
    assert client.get("/api/whoami").json()["username"] == CLIENT_ID
    client.credentials(HTTP_AUTHORIZATION="Basic dXNlcjpwYXNz")  # not ours: skipped
    assert client.get("/api/whoami").json()["username"] == CLIENT_ID


def test_a_malformed_header_is_a_401() -> None:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION="Bearer a b")
    assert_refused(client.get("/api/whoami"), INVALID_TOKEN)
