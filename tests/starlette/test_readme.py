"""The README's Starlette and FastAPI examples, run as written and checked through the
framework itself; tokens are checked by Node's jsonwebtoken."""

from __future__ import annotations

import importlib.util

import pytest
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from tests.starlette.asgi import call
from tests.support.responses import assert_json_error, token_claims
from tests.support.servers import TEST_API_KEY
from tests.support.snippets import README, assert_runs, run_snippet

SNIPPETS = {("README.rst", "Starlette", "python"): 1, ("README.rst", "FastAPI", "python"): 1}
FRAMEWORKS = [
    "Starlette",
    pytest.param(
        "FastAPI",
        marks=pytest.mark.skipif(
            importlib.util.find_spec("fastapi") is None, reason="FastAPI is not installed"
        ),
    ),
]


def test_the_readme_has_the_snippets_this_test_runs() -> None:
    assert_runs(SNIPPETS)


async def login(request: Request) -> Response:
    """What the application's own login view does once the password is right."""
    request.session["user_id"] = "alice"
    return Response(status_code=204)


@pytest.mark.parametrize("framework", FRAMEWORKS)
def test_the_example_serves_tokens_to_logged_in_users(
    framework: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SESSION_SECRET_KEY", f"test-readme-{framework.lower()}-session-key")
    monkeypatch.setenv("RELAYBOX_API_KEY", TEST_API_KEY)
    app = run_snippet(README, framework, 0)["app"]
    app.router.routes.append(Route("/login", login, methods=["POST"]))

    assert_json_error(call(app, "GET", "/user/auth"), 401, "not_authenticated")
    cookie = {"Cookie": f"session={call(app, 'POST', '/login').cookies['session']}"}
    for method in ("GET", "POST"):
        response = call(app, method, "/user/auth", headers={**cookie, "X-Client-Id": "admin"})
        assert token_claims(response)["clientId"] == "alice"
    if framework == "FastAPI":
        assert set(app.openapi()["paths"]) == {"/user/auth"}
