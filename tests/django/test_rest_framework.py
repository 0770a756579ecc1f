"""The DRF view: authenticated by DRF's classes (session, token, JWT), same answers."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client, override_settings
from rest_framework.authtoken.models import Token

from tests.support.django_settings import HAS_SIMPLEJWT
from tests.support.responses import assert_json_error, token_claims
from tests.support.servers import TEST_API_KEY

from .test_views import csrf_pair

pytestmark = pytest.mark.django_db
KEY = {"API_KEY": TEST_API_KEY}


def test_session_user_gets_a_token(client: Client, user: Any) -> None:
    client.force_login(user)
    assert token_claims(client.get("/drf/auth"))["clientId"] == str(user.pk)


def test_anonymous_gets_the_core_401_not_drf_permissions(client: Client) -> None:
    # The project default is IsAuthenticated; ALLOW_ANONYMOUS decides instead.
    assert_json_error(client.get("/drf/auth"), 401, "not_authenticated")
    with override_settings(RELAYBOX={**KEY, "ALLOW_ANONYMOUS": True}):
        assert "clientId" not in token_claims(client.get("/drf/auth"))


def test_token_authentication(user: Any) -> None:
    token = Token.objects.create(user=user)
    client = Client(enforce_csrf_checks=True)
    headers = {"Authorization": f"Token {token.key}", "X-Client-Id": "admin"}
    assert token_claims(client.get("/drf/any-auth?clientId=admin", headers=headers))[
        "clientId"
    ] == str(user.pk)
    # No session, so no CSRF: POST works with the token alone.
    assert token_claims(client.post("/drf/any-auth", headers=headers))["clientId"] == str(user.pk)


def test_bad_token_is_a_json_401_and_not_cached() -> None:
    response = Client().get("/drf/any-auth", headers={"Authorization": "Token nope"})
    assert response.status_code == 401
    assert response["Cache-Control"] == "no-store"
    assert "detail" in response.json()


@pytest.mark.skipif(not HAS_SIMPLEJWT, reason="djangorestframework-simplejwt not installed")
def test_jwt_authentication(user: Any) -> None:
    from rest_framework_simplejwt.tokens import AccessToken

    access = AccessToken.for_user(user)
    response = Client().get("/drf/any-auth", headers={"Authorization": f"Bearer {access}"})
    assert token_claims(response)["clientId"] == str(user.pk)


def test_session_post_needs_csrf(user: Any) -> None:
    client = Client(enforce_csrf_checks=True)
    client.force_login(user)
    response = client.post("/drf/auth")
    assert response.status_code == 403
    assert "CSRF" in response.json()["detail"]
    cookie, header = csrf_pair()
    client.cookies["csrftoken"] = cookie
    response = client.post("/drf/auth", headers={"X-CSRFToken": header})
    assert token_claims(response)["clientId"] == str(user.pk)


@pytest.mark.parametrize("method", ["put", "delete", "head"])
def test_other_methods_405_before_authentication(method: str) -> None:
    response = getattr(Client(), method)("/drf/any-auth", headers={"Authorization": "Token nope"})
    assert response.status_code == 405
    assert response["Allow"] == "GET, POST, OPTIONS"


def test_no_unauthenticated_user_is_anonymous(user: Any) -> None:
    """``UNAUTHENTICATED_USER = None`` makes DRF's ``request.user`` None: a 401, not a 500."""
    rest_framework = {"UNAUTHENTICATED_USER": None, "DEFAULT_PERMISSION_CLASSES": []}
    with override_settings(REST_FRAMEWORK=rest_framework):
        assert_json_error(Client().get("/drf/auth"), 401, "not_authenticated")
        with override_settings(RELAYBOX={**KEY, "ALLOW_ANONYMOUS": True}):
            assert "clientId" not in token_claims(Client().get("/drf/auth"))


def test_hooks_and_signal(user: Any, received: list[dict[str, Any]]) -> None:
    client = Client()
    client.force_login(user)
    relaybox = {**KEY, "CLIENT_ID_HOOK": "tests.django.hooks.client_id_from_username"}
    with override_settings(RELAYBOX=relaybox):
        assert token_claims(client.get("/drf/auth"))["clientId"] == "user-alice"
    (call,) = received
    assert call["client_id"] == "user-alice"
    assert call["user"] == user
