"""The Flask guide's snippets, run as written and checked through Flask's test client.

Each snippet is taken from docs/guides/flask.rst (never copied here) and executed in a fresh
namespace; the application it builds answers real requests, every token is checked by Node's
jsonwebtoken with the snippet's own key, publishes reach the events stand-in and webhook
deliveries are deduplicated in a real Redis.
"""

from __future__ import annotations

import logging
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask

from relaybox_integrations import InMemoryWebhookStore, sign_webhook
from relaybox_integrations.flask import get_state, token_issued
from relaybox_integrations.testing import PublishOutbox
from tests.support.events_standin import EventsStandin
from tests.support.guide_tests import run_the_guides_tests
from tests.support.redis_server import redis_server
from tests.support.responses import assert_cors_allowed, assert_json_error, preflight, token_claims
from tests.support.servers import TEST_API_KEY
from tests.support.snippets import assert_runs, publishing_snippet, run_snippet

PAGE = "docs/guides/flask.rst"
SNIPPETS = {
    ("docs/guides/flask.rst", "The smallest application", "python"): 1,
    ("docs/guides/flask.rst", "Application factories and loaders", "python"): 1,
    ("docs/guides/flask.rst", "CSRF and CORS", "python"): 1,
    ("docs/guides/flask.rst", "Publishing", "python"): 1,
    ("docs/guides/flask.rst", "Webhooks", "python"): 2,
    ("docs/guides/flask.rst", "Testing", "python"): 1,
}
ORIGIN = "https://app.example.com"
SIGNING_KEY = "whsec-flask-guide-signing-key-0123456789"


def claims_of(app: Flask, response: Any) -> dict[str, Any]:
    """The token's claims, verified by jsonwebtoken with the secret in the app's config."""
    return token_claims(response, app.config["RELAYBOX_API_KEY"].split(":", 1)[1])


def test_the_page_has_the_snippets_these_tests_run() -> None:
    assert_runs(SNIPPETS)


def test_the_smallest_app_works_as_written() -> None:
    """A new app from the snippet alone: log in through its view, then get a token."""
    app: Flask = run_snippet(PAGE, "The smallest application", 0)["app"]
    client = app.test_client()
    assert_json_error(client.get("/user/auth"), 401, "not_authenticated")
    assert client.post("/login", data={"username": "alice"}).status_code == 302
    for method in ("get", "post"):
        response = client.open(
            "/user/auth?clientId=admin", method=method.upper(), headers={"X-Client-Id": "admin"}
        )
        assert claims_of(app, response)["clientId"] == "alice"
    assert client.options("/user/auth").status_code == 204
    assert_json_error(client.put("/user/auth"), 405, "method_not_allowed")


@pytest.fixture
def factory() -> Iterator[dict[str, Any]]:
    namespace = run_snippet(PAGE, "Application factories and loaders", 0)
    try:
        yield namespace
    finally:
        token_issued.disconnect(namespace["audit"])


def test_factory_with_async_loader_and_permissions(factory: dict[str, Any]) -> None:
    app: Flask = factory["create_app"]()
    claims = claims_of(app, app.test_client().get("/user/auth", headers={"X-Client-Id": "x"}))
    assert claims["clientId"] == "user-1"  # from the async loader
    assert claims["permissions"] == {"lobby": ["*"], "chat:*": ["join", "publish", "presence"]}
    assert claims["exp"] - claims["iat"] == 600
    # One RelayBox() serves any number of applications, each with its own state.
    other: Flask = factory["create_app"]()
    assert get_state(other) is not get_state(app)
    assert claims_of(other, other.test_client().get("/user/auth"))["clientId"] == "user-1"


def test_factory_permissions_hook_refuses_and_defaults(factory: dict[str, Any]) -> None:
    app: Flask = factory["create_app"]()
    relaybox = factory["relaybox"]
    relaybox.load_user(lambda: "banned")
    body = assert_json_error(app.test_client().get("/user/auth"), 403, "forbidden")
    assert body["message"] == "Realtime is disabled for this account."
    relaybox.load_user(lambda: "user-2")  # neither: RELAYBOX_PERMISSIONS applies
    claims = claims_of(app, app.test_client().get("/user/auth"))
    assert claims["clientId"] == "user-2"
    assert claims["permissions"] == {"lobby": ["join", "subscribe"]}


def test_factory_audit_receiver_logs(
    factory: dict[str, Any], caplog: pytest.LogCaptureFixture
) -> None:
    app: Flask = factory["create_app"]()
    with caplog.at_level(logging.INFO, logger=app.logger.name):
        response = app.test_client().get("/user/auth")
    claims_of(app, response)
    token = response.json["token"]
    messages = [r.getMessage() for r in caplog.records if r.name == app.logger.name]
    assert messages == ["Relaybox token for user-1 (600 s)"]
    assert token not in caplog.text
    assert app.config["RELAYBOX_API_KEY"].split(":", 1)[1] not in caplog.text


@pytest.fixture
def csrf_cors() -> dict[str, Any]:
    pytest.importorskip("flask_wtf")
    pytest.importorskip("flask_cors")
    namespace = run_snippet(PAGE, "CSRF and CORS", 0)
    # The snippet is about CSRF and CORS; who the user is comes from the first snippet's loader.
    namespace["relaybox"].load_user(lambda: "alice")
    return namespace


def test_csrf_exempts_only_the_endpoint(csrf_cors: dict[str, Any]) -> None:
    app: Flask = csrf_cors["app"]

    @app.post("/elsewhere")
    def elsewhere() -> str:
        return "changed"

    client = app.test_client()
    assert client.post("/elsewhere").status_code == 400  # CSRFProtect is on
    assert claims_of(app, client.post("/user/auth"))["clientId"] == "alice"


def test_cors_for_the_allowed_origin_only(csrf_cors: dict[str, Any]) -> None:
    app: Flask = csrf_cors["app"]
    client = app.test_client()
    headers = ("content-type", "x-csrftoken", "x-client-id")
    answer = preflight(client, ORIGIN, method="POST", headers=headers)
    assert answer.status_code == 204
    assert_cors_allowed(answer, ORIGIN, headers=headers)

    response = client.post("/user/auth", headers={"Origin": ORIGIN, "X-Client-Id": "admin"})
    assert claims_of(app, response)["clientId"] == "alice"
    assert_cors_allowed(response, ORIGIN)

    stranger = {"Origin": "https://evil.example.com"}
    refused = preflight(client, stranger["Origin"], method="POST", headers=headers)
    assert "Access-Control-Allow-Origin" not in refused.headers
    assert "Access-Control-Allow-Credentials" not in refused.headers
    assert "Access-Control-Allow-Origin" not in client.get("/user/auth", headers=stranger).headers


@pytest.fixture
def publishing(monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[Flask, EventsStandin]]:
    """The publishing snippet's app, its core URL the stand-in's (as in development)."""
    session_key = {"FLASK_SECRET_KEY": "test-flask-guide-session-key"}
    with publishing_snippet(PAGE, monkeypatch, **session_key) as (app, standin):
        yield app, standin
        get_state(app).relaybox.close()


def test_a_posted_message_is_published(publishing: tuple[Flask, EventsStandin]) -> None:
    app, standin = publishing
    client = app.test_client()
    with client.session_transaction() as session:
        session["user_id"] = "alice"
    response = client.post("/messages", data={"text": "hi"})
    assert response.status_code == 200, response.get_data(as_text=True)
    (published,) = standin.published
    assert (published.room_id, published.event) == ("chat:lobby", "message")
    assert (published.data, published.client_id) == ({"text": "hi"}, "alice")
    assert response.get_json() == {"requestId": published.request_id}


@pytest.fixture
def webhooks(monkeypatch: pytest.MonkeyPatch) -> Flask:
    """The first webhook snippet's app: deliveries remembered in this process."""
    monkeypatch.setenv("RELAYBOX_API_KEY", TEST_API_KEY)
    monkeypatch.setenv("RELAYBOX_WEBHOOK_SIGNING_KEY", SIGNING_KEY)
    app: Flask = run_snippet(PAGE, "Webhooks", 0)["app"]
    return app


def test_the_first_webhook_snippet_needs_no_redis(webhooks: Flask) -> None:
    state = get_state(webhooks).webhooks
    assert state is not None
    assert isinstance(state.store, InMemoryWebhookStore)


@pytest.fixture
def workers(
    monkeypatch: pytest.MonkeyPatch, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[list[dict[str, Any]]]:
    """The Redis snippet run twice, as two workers would, against a Redis of its own."""
    with redis_server(tmp_path_factory.mktemp("redis")) as url:
        monkeypatch.setenv("RELAYBOX_API_KEY", TEST_API_KEY)
        monkeypatch.setenv("RELAYBOX_WEBHOOK_SIGNING_KEY", SIGNING_KEY)
        monkeypatch.setenv("REDIS_URL", url)
        namespaces = [run_snippet(PAGE, "Webhooks", 1) for _ in range(2)]
        yield namespaces
        for namespace in namespaces:
            namespace["app"].config["RELAYBOX_WEBHOOK_STORE"].client.close()


def test_with_redis_a_retry_on_another_worker_is_a_duplicate(
    workers: list[dict[str, Any]],
) -> None:
    ran: list[str] = []
    for namespace in workers:
        namespace["relaybox"].webhook_handler("*")(lambda event: ran.append(event.id))
    delivery = sign_webhook("room:join", {}, SIGNING_KEY, event_id="event-1")
    statuses = [
        namespace["app"]
        .test_client()
        .post("/relaybox/webhooks", data=delivery.body, headers=delivery.headers)
        .get_json()["status"]
        for namespace in workers
    ]
    assert statuses == ["processed", "duplicate"]
    assert ran == ["event-1"]


def test_webhook_handlers_run_once_per_event(
    webhooks: Flask, caplog: pytest.LogCaptureFixture
) -> None:
    client = webhooks.test_client()

    def deliver(event: str, event_id: str) -> Any:
        delivery = sign_webhook(
            event, {}, SIGNING_KEY, event_id=event_id, session={"clientId": "alice"}
        )
        return client.post("/relaybox/webhooks", data=delivery.body, headers=delivery.headers)

    with caplog.at_level(logging.DEBUG, logger=webhooks.logger.name):
        assert deliver("room:join", "event-1").get_json()["status"] == "processed"
        assert deliver("room:join", "event-1").get_json()["status"] == "duplicate"
        assert deliver("presence:update", "event-2").get_json()["status"] == "processed"
    messages = [r.getMessage() for r in caplog.records if r.name == webhooks.logger.name]
    assert messages == [
        "room:join: alice",
        "Relaybox event event-1 (room:join)",
        "Relaybox event event-2 (presence:update)",
    ]
    assert_json_error(client.post("/relaybox/webhooks", data=b"{}"), 403, "invalid_signature")


def test_the_testing_snippet_passes_and_can_fail(
    publishing: tuple[Flask, EventsStandin], webhooks: Flask, relaybox_outbox: PublishOutbox
) -> None:
    tests = run_snippet(PAGE, "Testing", 0)
    publishes = tests["test_posting_a_message_publishes_it"]
    delivers = tests["test_relaybox_reaches_the_webhook_endpoint"]
    app, standin = publishing
    publishes(app, relaybox_outbox)
    delivers(webhooks)
    assert standin.requests == []  # captured, not sent

    silent = Flask(__name__)
    silent.post("/messages")(lambda: {"requestId": "none"})
    relaybox_outbox.clear()
    with pytest.raises(AssertionError):
        publishes(silent, relaybox_outbox)
    webhooks.config["RELAYBOX_WEBHOOK_SIGNING_KEY"] = "another-webhooks-signing-key"
    with pytest.raises(KeyError):  # a 403 JSON error has no "status"
        delivers(webhooks)


def test_the_testing_snippet_runs_as_written_under_pytest(tmp_path: Path) -> None:
    """Collected and run by pytest itself, with no plugin or setting the page does not give,
    against the page's own publishing and webhook applications."""
    run_the_guides_tests(PAGE, tmp_path, sys.executable)
