"""The README's Django snippets, run as written and checked through Django itself.

Each snippet is taken from README.rst (never copied here), executed, and what it defines is
plugged into a real request: its ``urlpatterns`` become the URLconf, its hook and receiver
are the ones the view calls, its CORS headers go through django-cors-headers' middleware.
"""

from __future__ import annotations

import logging
import types
from collections.abc import Iterator
from typing import Any

import pytest
from django.apps import apps
from django.conf import settings
from django.core.management import call_command
from django.test import Client, override_settings
from django.urls import reverse

from relaybox_integrations.django import token_issued
from tests.support.readme import code_blocks, run_snippet
from tests.support.responses import assert_cors_allowed, assert_json_error, preflight, token_claims
from tests.support.servers import TEST_API_KEY, TEST_SECRET
from tests.support.verifier import node_verify

pytestmark = pytest.mark.django_db

SECTION = "Django"
ALLOW_INACTIVE = "django.contrib.auth.backends.AllowAllUsersModelBackend"


def urlconf(urlpatterns: list[Any]) -> types.ModuleType:
    """A URLconf module holding the snippet's ``urlpatterns``, for ``ROOT_URLCONF``."""
    module = types.ModuleType("readme_urls")
    module.urlpatterns = urlpatterns  # type: ignore[attr-defined]
    return module


def test_the_section_has_the_five_snippets_these_tests_run() -> None:
    # Keeps the indexes below honest when the README gains or loses a block.
    assert len(code_blocks(SECTION)) == 5


@pytest.fixture
def setup_snippet(monkeypatch: pytest.MonkeyPatch) -> dict[str, Any]:
    monkeypatch.setenv("RELAYBOX_API_KEY", TEST_API_KEY)
    return run_snippet(SECTION, 0)


def test_settings_and_urls_serve_the_endpoint(setup_snippet: dict[str, Any], user: Any) -> None:
    for app in setup_snippet["INSTALLED_APPS"]:
        assert apps.is_installed(app), app
    assert setup_snippet["RELAYBOX"] == {"API_KEY": TEST_API_KEY}
    with override_settings(
        RELAYBOX=setup_snippet["RELAYBOX"], ROOT_URLCONF=urlconf(setup_snippet["urlpatterns"])
    ):
        call_command("check", fail_level="WARNING")  # no relaybox.E00x / W001
        assert reverse("relaybox:auth") == "/user/auth"
        client = Client()
        assert_json_error(client.get("/user/auth"), 401, "not_authenticated")
        client.force_login(user)
        for method in ("get", "post"):
            response = getattr(client, method)("/user/auth", headers={"X-Client-Id": "admin"})
            claims = token_claims(response)  # node_verify with the key's secret
            assert claims["clientId"] == str(user.pk)
            assert claims["publicKey"] == TEST_API_KEY.split(":")[0]
        assert client.options("/user/auth").status_code == 204
        assert client.put("/user/auth").status_code == 405


def test_access_denied_hook(django_user_model: Any) -> None:
    client_id = run_snippet(SECTION, 1)["client_id"]
    active = django_user_model.objects.create_user("active", password="x")
    inactive = django_user_model.objects.create_user("inactive", password="x", is_active=False)
    # Django's default ModelBackend logs inactive users out before any view runs; a backend
    # that keeps them signed in is what lets the hook see them.
    with override_settings(
        RELAYBOX={"API_KEY": TEST_API_KEY, "CLIENT_ID_HOOK": client_id},
        AUTHENTICATION_BACKENDS=[ALLOW_INACTIVE],
    ):
        client = Client()
        client.force_login(active, backend=ALLOW_INACTIVE)
        assert token_claims(client.get("/user/auth"))["clientId"] == f"user-{active.pk}"
        client.force_login(inactive, backend=ALLOW_INACTIVE)
        response = client.get("/user/auth")
        assert_json_error(response, 403, "forbidden")
        assert response.json()["message"] == "Your account cannot use realtime features."


@pytest.fixture
def audit_receiver() -> Iterator[dict[str, Any]]:
    namespace = run_snippet(SECTION, 2)
    try:
        yield namespace
    finally:
        assert token_issued.disconnect(namespace["log_token"])


def test_token_issued_receiver_logs(
    audit_receiver: dict[str, Any], user: Any, caplog: pytest.LogCaptureFixture
) -> None:
    client = Client()
    client.force_login(user)
    with caplog.at_level(logging.INFO, logger="audit"):
        body = client.get("/user/auth").json()
    node_verify(body["token"], TEST_SECRET)
    records = [record for record in caplog.records if record.name == "audit"]
    assert [record.getMessage() for record in records] == [f"relaybox token for {user.pk}"]
    assert body["token"] not in caplog.text
    assert TEST_SECRET not in caplog.text


def test_cors_allow_headers(user: Any) -> None:
    from corsheaders.defaults import default_headers

    allow_headers = run_snippet(SECTION, 3)["CORS_ALLOW_HEADERS"]
    assert isinstance(allow_headers, tuple)
    assert "x-client-id" in allow_headers
    assert set(default_headers) <= set(allow_headers)
    origin = "https://app.example.com"
    with override_settings(
        MIDDLEWARE=["corsheaders.middleware.CorsMiddleware", *settings.MIDDLEWARE],
        CORS_ALLOWED_ORIGINS=[origin],
        CORS_ALLOW_CREDENTIALS=True,
        CORS_ALLOW_HEADERS=allow_headers,
    ):
        client = Client()
        answer = preflight(client, origin)
        assert answer.status_code == 200
        assert_cors_allowed(answer, origin, headers=("x-client-id",))
        client.force_login(user)
        response = client.get("/user/auth", headers={"Origin": origin, "X-Client-Id": "admin"})
        assert token_claims(response)["clientId"] == str(user.pk)
        assert response["Access-Control-Allow-Origin"] == origin


def test_rest_framework_view(user: Any) -> None:
    pytest.importorskip("rest_framework")
    namespace = run_snippet(SECTION, 4)
    with override_settings(ROOT_URLCONF=urlconf(namespace["urlpatterns"])):
        client = Client()
        # The project's IsAuthenticated default does not apply: the core's 401 answers.
        assert_json_error(client.get("/user/auth"), 401, "not_authenticated")
        client.force_login(user)  # DRF's SessionAuthentication, the test project's default
        claims = token_claims(client.get("/user/auth", headers={"X-Client-Id": "admin"}))
        assert claims["clientId"] == str(user.pk)
