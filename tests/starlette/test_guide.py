"""The Starlette guide's snippets, run as written and checked through Starlette itself.

Each snippet is taken from docs/guides/starlette.rst (never copied here) and executed; the
app it builds answers real ASGI requests (httpx's ASGI transport), its session cookie comes
from its own ``SessionMiddleware`` through a login route the test adds, every token is
checked by Node's jsonwebtoken with the secret of the snippet's own key, and publishes reach
the events stand-in.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from typing import Any

import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from relaybox_integrations import sign_webhook
from relaybox_integrations.starlette import MissingMiddlewareError
from relaybox_integrations.testing import PublishOutbox
from tests.starlette.asgi import app_with, as_user, call, check_the_testing_snippet
from tests.support.events_standin import EventsStandin
from tests.support.responses import assert_json_error, token_claims
from tests.support.snippets import assert_runs, publishing_snippet, run_snippet
from tests.support.verifier import node_verify

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
#: What a browser client (or an attacker) may send to claim another identity.
SPOOFED = {"X-Client-Id": "admin"}
SPOOFED_URL = "/user/auth?clientId=admin"


def secret_of(namespace: dict[str, Any]) -> str:
    """The secret half of the snippet's ``RELAYBOX_API_KEY``: what signs its tokens."""
    return str(namespace["RELAYBOX_API_KEY"].split(":", 1)[1])


async def login(request: Request) -> Response:
    """What the app's login view does once the password checks out: the session's username."""
    request.session["username"] = (await request.form())["username"]
    return Response(status_code=204)


def with_login(app: Starlette) -> Starlette:
    """``app`` plus a ``POST /login`` route, so its own session middleware holds the user."""
    app.router.routes.append(Route("/login", login, methods=["POST"]))
    return app


def log_in(app: Starlette, username: str) -> dict[str, str]:
    """Headers carrying the session cookie ``app`` set for ``username``."""
    response = call(app, "POST", "/login", data={"username": username})
    assert response.status_code == 204, response.text
    return {"Cookie": f"session={response.cookies['session']}"}


def test_the_page_has_the_snippets_these_tests_run() -> None:
    assert_runs(SNIPPETS)


@pytest.fixture
def first(monkeypatch: pytest.MonkeyPatch) -> dict[str, Any]:
    """The first snippet's globals, with its development session key."""
    monkeypatch.delenv("SESSION_SECRET_KEY", raising=False)
    return run_snippet(PAGE, "The auth endpoint", 0)


def test_session_user_gets_a_token_and_anonymous_a_401(first: dict[str, Any]) -> None:
    app = with_login(first["app"])
    secret = secret_of(first)
    assert app.url_path_for("relaybox_auth") == "/user/auth"

    for method in ("GET", "POST"):
        anonymous = call(app, method, SPOOFED_URL, headers=SPOOFED)
        assert_json_error(anonymous, 401, "not_authenticated")
        assert secret not in anonymous.text
    forged = call(app, "GET", "/user/auth", headers={"Cookie": "session=e30=.forged.sig"})
    assert_json_error(forged, 401, "not_authenticated")

    alice = log_in(app, "alice")
    get = call(app, "GET", SPOOFED_URL, headers={**alice, **SPOOFED})
    post = call(app, "POST", SPOOFED_URL, headers={**alice, **SPOOFED}, json={"clientId": "admin"})
    for response in (get, post):
        claims = token_claims(response, secret)
        assert claims["clientId"] == "alice"
        assert claims["publicKey"] == first["RELAYBOX_API_KEY"].split(":", 1)[0]
        assert claims["exp"] - claims["iat"] == 900

    assert call(app, "OPTIONS", "/user/auth", headers=alice).status_code == 204
    refused = call(app, "PUT", "/user/auth", headers=alice)
    assert_json_error(refused, 405, "method_not_allowed")
    assert refused.headers["allow"] == "GET, POST, OPTIONS"


def test_hooks_set_permissions_refuse_and_audit(caplog: pytest.LogCaptureFixture) -> None:
    namespace = run_snippet(PAGE, "Options and hooks", 0)
    app = app_with(namespace["routes"])  # a login backend in front, as the snippet assumes
    secret = secret_of(namespace)

    with caplog.at_level(logging.INFO, logger="audit"):
        response = call(app, "GET", SPOOFED_URL, headers={**as_user("alice"), **SPOOFED})
        claims = token_claims(response, secret)
        refused = call(app, "POST", "/user/auth", headers=as_user("mallory"))
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
    """The third snippet, run in the first one's namespace as the guide says it continues it."""
    first_app = first["app"]
    namespace = run_snippet(PAGE, "Tokens in your own handlers", 0, first)
    assert namespace["app"] is not first_app
    with_login(namespace["app"])
    return namespace


def test_bootstrap_mints_for_the_session_user(third: dict[str, Any]) -> None:
    app = third["app"]
    secret = secret_of(third)
    alice = log_in(app, "alice")

    bootstrap = call(app, "GET", "/bootstrap?clientId=admin", headers={**alice, **SPOOFED})
    assert bootstrap.status_code == 200, bootstrap.text
    assert set(bootstrap.json()) == {"relayboxToken"}
    claims = node_verify(bootstrap.json()["relayboxToken"], secret)
    assert claims["clientId"] == "alice"
    assert claims["exp"] - claims["iat"] == 900

    # The routes and the middleware share the one issuer: the endpoint still answers.
    response = call(app, "POST", SPOOFED_URL, headers={**alice, **SPOOFED})
    assert token_claims(response, secret)["clientId"] == "alice"
    assert_json_error(call(app, "GET", "/user/auth"), 401, "not_authenticated")


def test_bootstrap_mints_nothing_for_anonymous_visitors(third: dict[str, Any]) -> None:
    # The issuer refuses anonymous users (allow_anonymous is False), so the page handler
    # minting with it must not hand them a token either.
    response = call(third["app"], "GET", "/bootstrap")
    minted = response.status_code == 200 and response.json().get("relayboxToken") is not None
    assert not minted, (
        "The Starlette guide's /bootstrap snippet minted a token with no identity for an "
        "anonymous visitor, whom /user/auth answers 401"
    )


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
    app, standin = publishing
    response = call(app, "POST", "/messages", data={"text": "hi"})
    assert response.status_code == 200, response.text
    (published,) = standin.published
    assert (published.room_id, published.event, published.data) == (
        "chat:lobby", "message", {"text": "hi"}
    )  # fmt: skip
    assert response.json() == {"requestId": published.request_id}


@pytest.fixture
def webhooks(monkeypatch: pytest.MonkeyPatch) -> dict[str, Any]:
    monkeypatch.setenv("RELAYBOX_WEBHOOK_SIGNING_KEY", SIGNING_KEY)
    return run_snippet(PAGE, "Webhooks", 0)


def test_webhook_handlers_run_once_per_event(
    webhooks: dict[str, Any], capsys: pytest.CaptureFixture[str]
) -> None:
    app = webhooks["app"]

    def deliver(event: str, event_id: str) -> Any:
        delivery = sign_webhook(
            event, {}, SIGNING_KEY, event_id=event_id, session={"clientId": "alice"}
        )
        return call(
            app, "POST", "/relaybox/webhooks", content=delivery.body, headers=delivery.headers
        )

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
