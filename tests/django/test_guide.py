"""The Django guide's snippets, run as written and checked through Django itself.

Each snippet is taken from docs/guides/django.rst (never copied here), executed, and what it
defines is plugged into a real request: its ``urlpatterns`` become the URLconf, its hook and
receivers are the ones the views call, its CORS headers go through django-cors-headers'
middleware, its publishes reach the events stand-in, and its tests run with pytest-django's
own fixtures.
"""

from __future__ import annotations

import logging
import types
from collections.abc import Iterator
from typing import Any

import pytest
from django.apps import apps
from django.conf import settings
from django.core.cache import caches
from django.core.management import call_command
from django.http import JsonResponse
from django.test import Client, override_settings
from django.urls import path, reverse

from relaybox_integrations import sign_webhook
from relaybox_integrations.django import get_relaybox, token_issued, webhook_received
from relaybox_integrations.django.asgi import ASGIHandler
from relaybox_integrations.django.webhooks import WebhookView
from tests.support.django_settings import TEST_WEBHOOK_SIGNING_KEY
from tests.support.events_standin import EventsStandin
from tests.support.responses import assert_cors_allowed, assert_json_error, preflight, token_claims
from tests.support.servers import TEST_API_KEY, TEST_SECRET
from tests.support.snippets import assert_runs, run_snippet
from tests.support.verifier import node_verify

pytestmark = pytest.mark.django_db

PAGE = "docs/guides/django.rst"
SNIPPETS = {
    ("docs/guides/django.rst", "Set-up", "python"): 1,
    ("docs/guides/django.rst", "Hooks", "python"): 1,
    ("docs/guides/django.rst", "ASGI", "python"): 1,
    ("docs/guides/django.rst", "Signals", "python"): 1,
    ("docs/guides/django.rst", "Cross-origin requests", "python"): 1,
    ("docs/guides/django.rst", "Django REST framework", "python"): 1,
    ("docs/guides/django.rst", "Publishing", "python"): 1,
    ("docs/guides/django.rst", "Webhooks", "python"): 2,
    ("docs/guides/django.rst", "Testing", "python"): 1,
}
ALLOW_INACTIVE = "django.contrib.auth.backends.AllowAllUsersModelBackend"


def urlconf(urlpatterns: list[Any]) -> types.ModuleType:
    """A URLconf module holding the snippet's ``urlpatterns``, for ``ROOT_URLCONF``."""
    module = types.ModuleType("readme_urls")
    module.urlpatterns = urlpatterns  # type: ignore[attr-defined]
    return module


def test_the_page_has_the_snippets_these_tests_run() -> None:
    assert_runs(SNIPPETS)


def test_the_asgi_snippet_is_the_packages_handler() -> None:
    """What that handler does with a delivery is in test_webhooks.py."""
    assert isinstance(run_snippet(PAGE, "ASGI", 0)["application"], ASGIHandler)


@pytest.fixture
def setup_snippet(monkeypatch: pytest.MonkeyPatch) -> dict[str, Any]:
    monkeypatch.setenv("RELAYBOX_API_KEY", TEST_API_KEY)
    return run_snippet(PAGE, "Set-up", 0)


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
    client_id = run_snippet(PAGE, "Hooks", 0)["client_id"]
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
    namespace = run_snippet(PAGE, "Signals", 0)
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

    allow_headers = run_snippet(PAGE, "Cross-origin requests", 0)["CORS_ALLOW_HEADERS"]
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
    namespace = run_snippet(PAGE, "Django REST framework", 0)
    with override_settings(ROOT_URLCONF=urlconf(namespace["urlpatterns"])):
        client = Client()
        # The project's IsAuthenticated default does not apply: the core's 401 answers.
        assert_json_error(client.get("/user/auth"), 401, "not_authenticated")
        client.force_login(user)  # DRF's SessionAuthentication, the test project's default
        claims = token_claims(client.get("/user/auth", headers={"X-Client-Id": "admin"}))
        assert claims["clientId"] == str(user.pk)


@pytest.mark.django_db(transaction=True)  # real commits, so that on_commit callbacks run
def test_publishing_waits_for_the_commit(user: Any) -> None:
    namespace = run_snippet(PAGE, "Publishing", 0)
    with (
        EventsStandin({TEST_API_KEY: ["*"]}) as standin,
        override_settings(
            RELAYBOX={"API_KEY": TEST_API_KEY, "CORE_URL": standin.url},
            ROOT_URLCONF=urlconf([path("rename", namespace["rename"])]),
        ),
    ):
        client = Client()
        client.force_login(user)
        response = client.post("/rename", {"first_name": "Ada"})
        assert response.status_code == 200, response.content
        result = namespace["announce"]("Deploy at noon")
        get_relaybox().close()
    renamed, announced = standin.published
    assert (renamed.room_id, renamed.event, renamed.client_id) == (
        "team:lobby",
        "renamed",
        str(user.pk),
    )
    assert renamed.data == {"id": user.pk, "name": "Ada"}
    assert (announced.event, announced.data) == ("announcement", {"text": "Deploy at noon"})
    assert result.request_id == announced.request_id


@pytest.fixture
def webhook_snippets(monkeypatch: pytest.MonkeyPatch) -> Iterator[dict[str, Any]]:
    """Both webhook snippets: the settings and URLs, then the receivers (disconnected after)."""
    monkeypatch.setenv("RELAYBOX_API_KEY", TEST_API_KEY)
    monkeypatch.setenv("RELAYBOX_WEBHOOK_SIGNING_KEY", TEST_WEBHOOK_SIGNING_KEY)
    namespace = run_snippet(PAGE, "Webhooks", 0)
    receivers = run_snippet(PAGE, "Webhooks", 1)
    try:
        with override_settings(
            RELAYBOX=namespace["RELAYBOX"], ROOT_URLCONF=urlconf(namespace["urlpatterns"])
        ):
            caches["default"].clear()
            yield namespace
    finally:
        names = frozenset({"room:join", "room:leave"})
        assert webhook_received.disconnect(dispatch_uid=(receivers["membership_changed"], names))
        assert webhook_received.disconnect(receivers["every_event"])


def test_webhook_receivers_run_once_per_event(
    webhook_snippets: dict[str, Any], caplog: pytest.LogCaptureFixture
) -> None:
    call_command("check", fail_level="WARNING")  # the view is routed and has its key
    client = Client(enforce_csrf_checks=True)  # the signature stands in for a CSRF token

    def deliver(event: str, event_id: str) -> Any:
        delivery = sign_webhook(
            event, {"roomId": "chat:lobby"}, TEST_WEBHOOK_SIGNING_KEY, event_id=event_id,
            session={"clientId": "alice"},
        )  # fmt: skip
        return client.post(
            "/relaybox/webhooks", delivery.body, "application/json", headers=delivery.headers
        )

    with caplog.at_level(logging.DEBUG, logger="myapp.relaybox"):
        assert deliver("room:join", "event-1").json() == {"id": "event-1", "status": "processed"}
        assert deliver("room:join", "event-1").json() == {"id": "event-1", "status": "duplicate"}
        assert deliver("presence:update", "event-2").json()["status"] == "processed"
    messages = [record.getMessage() for record in caplog.records if record.name == "myapp.relaybox"]
    assert messages == [
        "room:join: alice in {'roomId': 'chat:lobby'}",
        "Relaybox event event-1 (room:join)",
        "Relaybox event event-2 (presence:update)",
    ]

    forged = client.post("/relaybox/webhooks", b"{}", "application/json")
    assert_json_error(forged, 403, "invalid_signature")


def test_the_testing_snippet_passes_and_can_fail(
    admin_client: Client,
    client: Client,
    relaybox_outbox: Any,
    django_capture_on_commit_callbacks: Any,
) -> None:
    rename = run_snippet(PAGE, "Publishing", 0)["rename"]
    tests = run_snippet(PAGE, "Testing", 0)
    publishing, webhooks = (
        tests["test_renaming_publishes_after_the_commit"],
        tests["test_relaybox_reaches_the_webhook_view"],
    )
    routes = [path("relaybox/webhooks", WebhookView.as_view())]
    with override_settings(ROOT_URLCONF=urlconf([path("rename", rename), *routes])):
        publishing(admin_client, relaybox_outbox, django_capture_on_commit_callbacks)
        webhooks(client)

    def rename_silently(request: Any) -> Any:
        request.user.first_name = request.POST["first_name"]
        request.user.save()
        return JsonResponse({"renamed": True})

    relaybox_outbox.clear()
    silent = urlconf([path("rename", rename_silently), *routes])
    with override_settings(ROOT_URLCONF=silent), pytest.raises(AssertionError):
        publishing(admin_client, relaybox_outbox, django_capture_on_commit_callbacks)
    with (
        override_settings(ROOT_URLCONF=urlconf([])),
        pytest.raises(ValueError, match="application/json"),
    ):
        webhooks(client)  # a 404 page is not the endpoint's JSON answer
