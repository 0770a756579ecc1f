"""The FastAPI guide's snippets, run as written and checked through FastAPI itself.

Each snippet is taken from docs/guides/fastapi.rst (never copied here) and executed; the app
it builds answers real ASGI requests (httpx's ASGI transport), its session cookie comes from
its own ``SessionMiddleware`` through a login route the test adds, every token is checked by
Node's jsonwebtoken with the secret of the snippet's own key, publishes reach the events
stand-in, and the app's OpenAPI schema is read as FastAPI generates it.
"""

from __future__ import annotations

import sys
import types
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI, Request
from fastapi.responses import Response

from relaybox_integrations.testing import PublishOutbox
from tests.fastapi.openapi import assert_documents_the_endpoint
from tests.starlette import asgi
from tests.starlette.asgi import call, check_the_testing_snippet
from tests.support.events_standin import EventsStandin
from tests.support.guide_tests import run_the_guides_tests
from tests.support.responses import assert_json_error
from tests.support.snippets import assert_runs, publishing_snippet, run_snippet

PAGE = "docs/guides/fastapi.rst"
SNIPPETS = {
    ("docs/guides/fastapi.rst", "The auth endpoint", "python"): 1,
    ("docs/guides/fastapi.rst", "Tokens in your own routes", "python"): 1,
    ("docs/guides/fastapi.rst", "Publishing", "python"): 1,
    ("docs/guides/fastapi.rst", "Webhooks", "python"): 1,
    ("docs/guides/fastapi.rst", "Testing", "python"): 1,
}
SIGNING_KEY = "whsec-fastapi-guide-signing-key-0123456789"


def test_the_page_has_the_snippets_these_tests_run() -> None:
    assert_runs(SNIPPETS)


def module_namespace(monkeypatch: pytest.MonkeyPatch) -> dict[str, Any]:
    """A fresh module's globals, registered in ``sys.modules`` as a file's would be.

    ``@dataclass`` looks its class's module up there.
    """
    module = types.ModuleType("readme_fastapi")
    monkeypatch.setitem(sys.modules, module.__name__, module)
    return module.__dict__


async def login(request: Request) -> Response:
    """What the app's login view does once the password checks out: the session's user id."""
    request.session["user_id"] = (await request.json())["user_id"]
    return Response(status_code=204)


@pytest.fixture
def first(monkeypatch: pytest.MonkeyPatch) -> dict[str, Any]:
    """The first snippet's globals, with its development session key."""
    monkeypatch.delenv("SESSION_SECRET_KEY", raising=False)
    return run_snippet(PAGE, "The auth endpoint", 0, module_namespace(monkeypatch))


def test_session_user_gets_a_token_and_anonymous_a_401(first: dict[str, Any]) -> None:
    app = asgi.with_login(first["app"], login)
    assert app.url_path_for("relaybox_auth") == "/user/auth"

    for method in ("GET", "POST"):
        assert_json_error(
            call(app, method, asgi.SPOOFED_URL, headers=asgi.SPOOFED), 401, "not_authenticated"
        )
    # A session whose user is not in USERS: the dependency says None.
    stranger = asgi.log_in(app, json={"user_id": 2})
    assert_json_error(call(app, "GET", "/user/auth", headers=stranger), 401, "not_authenticated")

    demo = asgi.log_in(app, json={"user_id": 1})
    asgi.assert_tokens_for_the_session_user(first, demo, "1")  # User has an id, no identity


def test_openapi_documents_the_endpoint(first: dict[str, Any]) -> None:
    schema = asgi.with_login(first["app"], login).openapi()
    assert_documents_the_endpoint(schema)
    assert set(schema["paths"]) == {"/user/auth"}


@pytest.fixture
def second(first: dict[str, Any]) -> dict[str, Any]:
    return asgi.continued(PAGE, "Tokens in your own routes", first, login)


def test_bootstrap_mints_for_the_session_user(second: dict[str, Any]) -> None:
    demo = asgi.log_in(second["app"], json={"user_id": 1})
    asgi.assert_bootstrap_mints_for_the_session_user(second, demo, "1")


def test_openapi_documents_the_endpoint_and_bootstrap(second: dict[str, Any]) -> None:
    schema = second["app"].openapi()
    assert_documents_the_endpoint(schema)
    assert set(schema["paths"]) == {"/user/auth", "/bootstrap"}
    ok = schema["paths"]["/bootstrap"]["get"]["responses"]["200"]["content"]["application/json"]
    assert ok["schema"]["type"] == "object"  # the route's dict return annotation


def test_bootstrap_mints_nothing_for_anonymous_visitors(second: dict[str, Any]) -> None:
    asgi.assert_bootstrap_mints_nothing_for_anonymous_visitors(second["app"])


@pytest.fixture
def publishing(monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[FastAPI, EventsStandin]]:
    with publishing_snippet(PAGE, monkeypatch) as app_and_standin:
        yield app_and_standin


def test_a_posted_message_is_published(publishing: tuple[FastAPI, EventsStandin]) -> None:
    asgi.assert_publishes_the_message(*publishing, json={"text": "hi"})
    app, standin = publishing
    assert call(app, "POST", "/messages", json={}).status_code == 422  # FastAPI's validation
    assert len(standin.published) == 1


@pytest.fixture
def webhooks(monkeypatch: pytest.MonkeyPatch) -> dict[str, Any]:
    monkeypatch.setenv("RELAYBOX_WEBHOOK_SIGNING_KEY", SIGNING_KEY)
    return run_snippet(PAGE, "Webhooks", 0, module_namespace(monkeypatch))


def test_webhook_handlers_run_once_per_event(webhooks: dict[str, Any]) -> None:
    app = webhooks["app"]

    def deliver(event: str, event_id: str, client_id: str) -> Any:
        return asgi.deliver_signed(app, SIGNING_KEY, event, event_id, client_id)

    assert deliver("presence:join", "event-1", "ada").json()["status"] == "processed"
    assert deliver("presence:join", "event-2", "bob").json()["status"] == "processed"
    assert deliver("presence:leave", "event-3", "ada").json()["status"] == "processed"
    assert deliver("presence:join", "event-1", "ada").json()["status"] == "duplicate"
    assert deliver("room:join", "event-4", "ada").json()["status"] == "ignored"
    assert webhooks["presence"] == {"ada": "presence:leave", "bob": "presence:join"}

    operation = app.openapi()["paths"]["/relaybox/webhooks"]["post"]
    assert {"200", "400", "403", "413", "500", "503"} <= set(operation["responses"])
    headers = {parameter["name"] for parameter in operation["parameters"]}
    assert "X-RelayBox-Webhook-Signature" in headers


def test_the_testing_snippet_passes_and_can_fail(
    publishing: tuple[FastAPI, EventsStandin],
    webhooks: dict[str, Any],
    relaybox_outbox: PublishOutbox,
) -> None:
    check_the_testing_snippet(
        PAGE, publishing, webhooks["app"], SIGNING_KEY, relaybox_outbox, FastAPI()
    )


def test_the_testing_snippet_runs_as_written_under_pytest(tmp_path: Path) -> None:
    """Collected and run by pytest itself, with no plugin or setting the page does not give,
    against the page's own publishing and webhook applications."""
    run_the_guides_tests(PAGE, tmp_path, sys.executable)
