"""The Starlette guide's snippets, run as written and checked through Starlette itself.

Each snippet is taken from docs/guides/starlette.rst (never copied here) and executed; the
app it builds answers real ASGI requests (httpx's ASGI transport), its session cookie comes
from its own ``SessionMiddleware`` through a login route the test adds, every token is
checked by Node's jsonwebtoken with the secret of the snippet's own key, and publishes reach
the events stand-in.
"""

from __future__ import annotations

import logging
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from relaybox_integrations.starlette import MissingMiddlewareError
from relaybox_integrations.testing import PublishOutbox
from tests.starlette import asgi
from tests.starlette.asgi import call, check_the_testing_snippet
from tests.support.events_standin import EventsStandin
from tests.support.guide_tests import run_the_guides_tests
from tests.support.responses import assert_json_error, token_claims
from tests.support.snippets import assert_runs, publishing_snippet, run_snippet

PAGE = "docs/guides/starlette.rst"
SNIPPETS = {
    ("docs/guides/starlette.rst", "The auth endpoint", "python"): 1,
    ("docs/guides/starlette.rst", "Options and hooks", "python"): 1,
    ("docs/guides/starlette.rst", "Tokens in your own handlers", "python"): 1,
    ("docs/guides/starlette.rst", "Publishing", "python"): 1,
    ("docs/guides/starlette.rst", "Webhooks", "python"): 1,
    ("docs/guides/starlette.rst", "Testing", "python"): 1,
}
SIGNING_KEY = "whsec-starlette-guide-signing-key-0123456789"


async def login(request: Request) -> Response:
    """What the app's login view does once the password checks out: the session's username."""
    request.session["username"] = (await request.form())["username"]
    return Response(status_code=204)


def test_the_page_has_the_snippets_these_tests_run() -> None:
    assert_runs(SNIPPETS)


@pytest.fixture
def first(monkeypatch: pytest.MonkeyPatch) -> dict[str, Any]:
    """The first snippet's globals, with its development session key."""
    monkeypatch.delenv("SESSION_SECRET_KEY", raising=False)
    return run_snippet(PAGE, "The auth endpoint", 0)


def test_session_user_gets_a_token_and_anonymous_a_401(first: dict[str, Any]) -> None:
    app = asgi.with_login(first["app"], login)
    secret = asgi.secret_of(first)
    assert app.url_path_for("relaybox_auth") == "/user/auth"

    for method in ("GET", "POST"):
        anonymous = call(app, method, asgi.SPOOFED_URL, headers=asgi.SPOOFED)
        assert_json_error(anonymous, 401, "not_authenticated")
        assert secret not in anonymous.text
    forged = call(app, "GET", "/user/auth", headers={"Cookie": "session=e30=.forged.sig"})
    assert_json_error(forged, 401, "not_authenticated")

    alice = asgi.log_in(app, data={"username": "alice"})
    asgi.assert_tokens_for_the_session_user(first, alice, "alice")


def test_hooks_set_permissions_refuse_and_audit(caplog: pytest.LogCaptureFixture) -> None:
    namespace = run_snippet(PAGE, "Options and hooks", 0)
    app = asgi.app_with(namespace["routes"])  # a login backend in front, as the snippet assumes
    secret = asgi.secret_of(namespace)

    with caplog.at_level(logging.INFO, logger="audit"):
        response = call(
            app, "GET", asgi.SPOOFED_URL, headers={**asgi.as_user("alice"), **asgi.SPOOFED}
        )
        claims = token_claims(response, secret)
        refused = call(app, "POST", "/user/auth", headers=asgi.as_user("mallory"))
        anonymous = call(app, "GET", "/user/auth")

    assert claims["clientId"] == "alice"
    assert claims["permissions"] == {"user:alice:*": ["*"], "lobby": ["subscribe", "presence"]}
    assert claims["exp"] - claims["iat"] == 600
    assert assert_json_error(refused, 403, "forbidden")["message"] == (
        "Your account cannot use chat."
    )
    assert_json_error(anonymous, 401, "not_authenticated")
    # One line, for the one token minted: not for the refused or the anonymous request.
    messages = [record.getMessage() for record in caplog.records if record.name == "audit"]
    assert messages == ["Relaybox token for alice, 600 s"]
    assert response.json()["token"] not in caplog.text
    assert secret not in caplog.text


@pytest.fixture
def third(first: dict[str, Any]) -> dict[str, Any]:
    return asgi.continued(PAGE, "Tokens in your own handlers", first, login)


def test_bootstrap_mints_for_the_session_user(third: dict[str, Any]) -> None:
    alice = asgi.log_in(third["app"], data={"username": "alice"})
    asgi.assert_bootstrap_mints_for_the_session_user(third, alice, "alice")


def test_bootstrap_mints_nothing_for_anonymous_visitors(third: dict[str, Any]) -> None:
    asgi.assert_bootstrap_mints_nothing_for_anonymous_visitors(third["app"])


def test_bootstrap_without_relaybox_middleware_says_what_to_add(
    third: dict[str, Any],
) -> None:
    app = Starlette(routes=[Route("/bootstrap", third["bootstrap"])])
    with pytest.raises(MissingMiddlewareError, match=r"Middleware\(RelayBoxMiddleware"):
        call(app, "GET", "/bootstrap")


@pytest.fixture
def publishing(monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[Starlette, EventsStandin]]:
    with publishing_snippet(PAGE, monkeypatch) as app_and_standin:
        yield app_and_standin


def test_a_posted_message_is_published(publishing: tuple[Starlette, EventsStandin]) -> None:
    asgi.assert_publishes_the_message(*publishing, data={"text": "hi"})


@pytest.fixture
def webhooks(monkeypatch: pytest.MonkeyPatch) -> dict[str, Any]:
    monkeypatch.setenv("RELAYBOX_WEBHOOK_SIGNING_KEY", SIGNING_KEY)
    return run_snippet(PAGE, "Webhooks", 0)


def test_webhook_handlers_run_once_per_event(
    webhooks: dict[str, Any], capsys: pytest.CaptureFixture[str]
) -> None:
    app = webhooks["app"]

    def deliver(event: str, event_id: str) -> Any:
        return asgi.deliver_signed(app, SIGNING_KEY, event, event_id)

    assert deliver("room:join", "event-1").json() == {"id": "event-1", "status": "processed"}
    assert deliver("room:join", "event-1").json() == {"id": "event-1", "status": "duplicate"}
    assert deliver("presence:update", "event-2").json()["status"] == "processed"
    assert webhooks["joined"] == ["alice"]
    assert capsys.readouterr().out.splitlines() == [
        "Relaybox event event-1 (room:join)",
        "Relaybox event event-2 (presence:update)",
    ]
    forged = call(app, "POST", "/relaybox/webhooks", content=b"{}")
    assert_json_error(forged, 403, "invalid_signature")


def test_the_testing_snippet_passes_and_can_fail(
    publishing: tuple[Starlette, EventsStandin],
    webhooks: dict[str, Any],
    relaybox_outbox: PublishOutbox,
) -> None:
    check_the_testing_snippet(
        PAGE, publishing, webhooks["app"], SIGNING_KEY, relaybox_outbox, Starlette()
    )


def test_the_testing_snippet_runs_as_written_under_pytest(tmp_path: Path) -> None:
    """Collected and run by pytest itself, with no plugin or setting the page does not give,
    against the page's own publishing and webhook applications."""
    run_the_guides_tests(PAGE, tmp_path, sys.executable)
