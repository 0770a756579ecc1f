"""The README's Starlette example, run as written and checked through Starlette itself;
tokens are checked by Node's jsonwebtoken."""

from __future__ import annotations

import pytest
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from tests.starlette.asgi import call
from tests.support.responses import assert_json_error, token_claims
from tests.support.servers import TEST_API_KEY
from tests.support.snippets import README, assert_runs, run_snippet

SNIPPETS = {("README.rst", "Starlette", "python"): 1}


def test_the_readme_has_the_snippet_this_test_runs() -> None:
    assert_runs(SNIPPETS)


async def login(request: Request) -> Response:
    """What the application's own login view does once the password is right."""
    request.session["user_id"] = "alice"
    return Response(status_code=204)


def test_the_example_serves_tokens_to_logged_in_users(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SESSION_SECRET_KEY", "test-readme-starlette-session-key")
    monkeypatch.setenv("RELAYBOX_API_KEY", TEST_API_KEY)
    app = run_snippet(README, "Starlette", 0)["app"]
    app.router.routes.append(Route("/login", login, methods=["POST"]))

    assert_json_error(call(app, "GET", "/user/auth"), 401, "not_authenticated")
    cookie = {"Cookie": f"session={call(app, 'POST', '/login').cookies['session']}"}
    for method in ("GET", "POST"):
        response = call(app, method, "/user/auth", headers={**cookie, "X-Client-Id": "admin"})
        assert token_claims(response)["clientId"] == "alice"
