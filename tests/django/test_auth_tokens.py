"""Django requests signed in by a Relaybox user's auth token: the middleware and backend pair
(as ``RemoteUserMiddleware`` and ``RemoteUserBackend``), through Django's test clients."""

from __future__ import annotations

import logging
from typing import Any

import pytest
from asgiref.sync import async_to_sync
from django.contrib.auth import authenticate
from django.core.exceptions import ImproperlyConfigured
from django.test import AsyncClient, Client, override_settings

from relaybox_integrations.auth_tokens import CHALLENGE, EXPIRED_TOKEN, INVALID_TOKEN, NO_USER
from relaybox_integrations.django.auth_token_checks import check_auth_tokens
from relaybox_integrations.django.auth_tokens import RelayBoxTokenBackend
from tests.support.auth_tokens import API_KEY, CLIENT_ID, SECRET, USER_ID, bad_tokens, good_token
from tests.support.django_settings import HAS_DRF
from tests.support.snippets import assert_runs, run_snippet

pytestmark = pytest.mark.django_db

PAGE = "docs/guides/django.rst"
SECTION = "Relaybox users' auth tokens"
SNIPPETS = {("docs/guides/django.rst", "Relaybox users' auth tokens", "python"): 3}

BACKEND = "relaybox_integrations.django.auth_tokens.RelayBoxTokenBackend"
MIDDLEWARE = "relaybox_integrations.django.auth_tokens.RelayBoxTokenMiddleware"
AUTH_MIDDLEWARE = "django.contrib.auth.middleware.AuthenticationMiddleware"
HOOK = "tests.django.auth_token_hooks.user_from_auth_token"
RELAYBOX = {"API_KEY": API_KEY, "USER_FROM_AUTH_TOKEN_HOOK": HOOK}


def with_token_middleware(middleware: list[str]) -> list[str]:
    at = middleware.index(AUTH_MIDDLEWARE) + 1
    return [*middleware[:at], MIDDLEWARE, *middleware[at:]]


@pytest.fixture(autouse=True)
def token_settings(settings: Any) -> None:
    settings.ROOT_URLCONF = "tests.django.auth_token_urls"
    settings.MIDDLEWARE = with_token_middleware(settings.MIDDLEWARE)
    settings.AUTHENTICATION_BACKENDS = ["django.contrib.auth.backends.ModelBackend", BACKEND]
    settings.RELAYBOX = RELAYBOX


@pytest.fixture
def member(django_user_model: Any) -> Any:
    """The project's user for the Relaybox user the good token names."""
    return django_user_model.objects.create_user(CLIENT_ID, password="member-password")


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def assert_refused(response: Any, message: str, token: str | None = None) -> None:
    assert response.status_code == 401
    assert response.json() == {"error": "invalid_token", "message": message}
    assert response["WWW-Authenticate"] == CHALLENGE
    assert response["Cache-Control"] == "no-store"
    assert "sessionid" not in response.cookies
    if token:
        assert token not in response.content.decode()
    assert SECRET not in response.content.decode()


def test_a_valid_token_signs_the_request_in_as_the_hooks_user(member: Any) -> None:
    response = Client().get("/whoami", headers=bearer(good_token()))
    assert response.json() == {
        "authenticated": True,
        "username": CLIENT_ID,
        "type": type(member).__name__,
        "relaybox_user_id": USER_ID,
    }
    assert "sessionid" not in response.cookies  # for this request only
    assert Client().get("/private", headers=bearer(good_token())).json()["username"] == CLIENT_ID


def test_without_the_header_the_projects_own_login_works(member: Any) -> None:
    client = Client()
    assert client.get("/whoami").json()["authenticated"] is False
    assert client.get("/private").status_code == 302  # to the login page, as without us
    client.force_login(member)
    assert client.get("/private").json()["username"] == CLIENT_ID
    # Another scheme is another backend's business.
    assert (
        client.get("/whoami", headers={"Authorization": "Basic dXNlcjpwYXNz"}).json()["username"]
        == CLIENT_ID
    )


@pytest.mark.parametrize("kind", sorted(bad_tokens()))
def test_every_bad_token_is_a_json_401(kind: str, member: Any) -> None:
    token = bad_tokens()[kind]
    message = EXPIRED_TOKEN if kind == "expired" else INVALID_TOKEN
    assert_refused(Client().get("/whoami", headers=bearer(token)), message, token)


def test_a_bad_token_is_refused_even_with_a_session(member: Any) -> None:
    client = Client()
    client.force_login(member)
    token = bad_tokens()["wrong issuer"]
    assert_refused(client.get("/whoami", headers=bearer(token)), INVALID_TOKEN, token)


@pytest.mark.parametrize("header", ["Bearer", "Bearer a b"])
def test_a_malformed_header_is_a_json_401(header: str) -> None:
    assert_refused(Client().get("/whoami", headers={"Authorization": header}), INVALID_TOKEN)


def test_a_valid_token_without_a_user_or_with_an_inactive_one_is_a_401(
    django_user_model: Any,
) -> None:
    assert_refused(Client().get("/whoami", headers=bearer(good_token())), NO_USER)
    django_user_model.objects.create_user(CLIENT_ID, is_active=False)
    assert_refused(Client().get("/whoami", headers=bearer(good_token())), NO_USER)


def test_a_token_signed_post_needs_no_csrf_token_but_a_session_still_does(member: Any) -> None:
    client = Client(enforce_csrf_checks=True)
    assert client.post("/post", headers=bearer(good_token())).json()["username"] == CLIENT_ID
    client.force_login(member)
    assert client.post("/post").status_code == 403  # the session's CSRF check stands


def test_the_async_stack_signs_in_too(member: Any) -> None:
    async def whoami(token: str) -> Any:
        return await AsyncClient().get("/whoami", headers=bearer(token))

    assert async_to_sync(whoami)(good_token()).json()["username"] == CLIENT_ID
    token = bad_tokens()["expired"]
    assert_refused(async_to_sync(whoami)(token), EXPIRED_TOKEN, token)


def test_the_backend_alone_returns_none_for_what_it_refuses(member: Any) -> None:
    assert authenticate(None, relaybox_token=good_token()) == member
    assert authenticate(None, relaybox_token=bad_tokens()["HS512"]) is None
    assert authenticate(None, username=CLIENT_ID, password="member-password") == member


def test_the_backend_leaves_other_credentials_to_the_other_backends(
    settings: Any, member: Any
) -> None:
    """A ModelBackend itself, it still signs no one in by username and password."""
    backend = RelayBoxTokenBackend()
    assert backend.authenticate(None, username=CLIENT_ID, password="member-password") is None
    settings.AUTHENTICATION_BACKENDS = [BACKEND, "django.contrib.auth.backends.ModelBackend"]
    assert authenticate(None, username=CLIENT_ID, password="member-password") == member
    assert authenticate(None, username=CLIENT_ID, password="wrong") is None


def test_the_log_names_the_reason_never_the_token(
    member: Any, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    token = bad_tokens()["refresh token"]
    Client().get("/whoami", headers=bearer(token))
    assert "token type 'refresh_token'" in caplog.text
    good = good_token()
    Client().get("/whoami", headers=bearer(good))
    assert token not in caplog.text
    assert good not in caplog.text
    assert SECRET not in caplog.text


def test_the_system_checks_name_what_is_missing(settings: Any) -> None:
    assert check_auth_tokens() == []
    settings.RELAYBOX = {"API_KEY": API_KEY}
    (missing_hook,) = check_auth_tokens()
    assert missing_hook.id == "relaybox.E025"
    assert "RELAYBOX['USER_FROM_AUTH_TOKEN_HOOK']" in missing_hook.msg
    settings.RELAYBOX = RELAYBOX
    settings.AUTHENTICATION_BACKENDS = ["django.contrib.auth.backends.ModelBackend"]
    (no_backend,) = check_auth_tokens()
    assert no_backend.id == "relaybox.E026"
    assert "AUTHENTICATION_BACKENDS" in no_backend.msg
    settings.AUTHENTICATION_BACKENDS = [BACKEND]
    settings.MIDDLEWARE = [MIDDLEWARE, *settings.MIDDLEWARE[:-1]]
    (order,) = check_auth_tokens()
    assert order.id == "relaybox.E027"
    assert "MIDDLEWARE" in order.msg


def test_a_hook_that_does_not_import_is_reported_by_the_settings_check() -> None:
    from relaybox_integrations.django.checks import check_settings

    with override_settings(RELAYBOX={**RELAYBOX, "USER_FROM_AUTH_TOKEN_HOOK": "no.such.hook"}):
        assert [message.id for message in check_settings()] == ["relaybox.E007"]


def test_at_request_time_a_missing_hook_is_named(settings: Any, member: Any) -> None:
    settings.RELAYBOX = {"API_KEY": API_KEY}
    with pytest.raises(ImproperlyConfigured, match="USER_FROM_AUTH_TOKEN_HOOK"):
        Client(raise_request_exception=True).get("/whoami", headers=bearer(good_token()))


def test_without_authentication_middleware_the_message_names_it(settings: Any) -> None:
    settings.MIDDLEWARE = [MIDDLEWARE]
    with pytest.raises(ImproperlyConfigured, match="AuthenticationMiddleware"):
        Client().get("/whoami", headers=bearer(good_token()))


def test_the_guide_has_the_snippets_these_tests_run() -> None:
    assert_runs(SNIPPETS)


def test_the_guides_settings_and_hook_sign_requests_in(
    settings: Any, member: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("RELAYBOX_API_KEY", API_KEY)
    configured = run_snippet(PAGE, SECTION, 0)
    hook = run_snippet(PAGE, SECTION, 1)["user_from_auth_token"]
    settings.MIDDLEWARE = configured["MIDDLEWARE"]
    settings.AUTHENTICATION_BACKENDS = configured["AUTHENTICATION_BACKENDS"]
    settings.RELAYBOX = configured["RELAYBOX"]
    assert check_auth_tokens() == []  # set up as the checks want it
    settings.RELAYBOX = {**configured["RELAYBOX"], "USER_FROM_AUTH_TOKEN_HOOK": hook}
    client = Client(enforce_csrf_checks=True)
    assert client.post("/post", headers=bearer(good_token())).json()["username"] == CLIENT_ID
    assert client.get("/whoami").json()["authenticated"] is False
    token = bad_tokens()["refresh token"]
    assert_refused(client.get("/whoami", headers=bearer(token)), INVALID_TOKEN, token)


@pytest.mark.skipif(not HAS_DRF, reason="Django REST framework is not installed")
def test_the_guides_rest_framework_setting_authenticates(settings: Any, member: Any) -> None:
    configured = run_snippet(PAGE, SECTION, 2)["REST_FRAMEWORK"]
    settings.MIDDLEWARE = [name for name in settings.MIDDLEWARE if name != MIDDLEWARE]
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, **configured}
    response = Client().get("/api/default-whoami", headers=bearer(good_token()))
    assert response.json()["username"] == CLIENT_ID
    settings.RELAYBOX = {"API_KEY": API_KEY}
    response = Client().get("/api/default-whoami", headers=bearer(good_token()))
    assert response.json()["type"] == "RelayBoxUser"
