"""The Starlette guide's "Room access" snippets, run as written, and what only Starlette's
routes do (the contract suite covers what every adapter does): no route without the hook,
the route's name and path, the checks when the routes are built."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
import pytest
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.middleware.authentication import AuthenticationMiddleware
from starlette.routing import Mount

from relaybox_integrations import ConfigurationError
from relaybox_integrations.starlette import RelayBoxIssuer, relaybox_routes
from tests.starlette.asgi import HeaderBackend, as_user, call
from tests.support.servers import TEST_API_KEY, TEST_SECRET
from tests.support.snippets import assert_runs, run_snippet
from tests.support.verifier import node_verify_room_access

PAGE = "docs/guides/starlette.rst"
SNIPPETS = {("docs/guides/starlette.rst", "Room access", "python"): 2}


def test_the_page_has_the_snippets_these_tests_run() -> None:
    assert_runs(SNIPPETS)


def get(app: Any, path: str, user: str | None = None) -> httpx.Response:
    async def request() -> httpx.Response:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
            return await client.get(path, headers={"X-User": user} if user else {})

    return asyncio.run(request())


def test_team_members_join_their_teams_room() -> None:
    namespace = run_snippet(PAGE, "Room access", 0)
    hook = namespace["can_join_room"]
    routes = relaybox_routes(
        api_key=namespace["RELAYBOX_API_KEY"],
        load_user=lambda request: request.headers.get("X-User"),
        can_join_room=hook,
    )
    assert [route.name for route in namespace["routes"]] == [  # type: ignore[attr-defined]
        "relaybox_auth",
        "relaybox_room_access",
    ]
    app = Starlette(routes=[Mount("/user", routes=routes)])
    assert app.url_path_for("relaybox_room_access", room_id="team:7") == "/user/rooms/team:7/access"
    secret = namespace["RELAYBOX_API_KEY"].split(":", 1)[1]
    answer = get(app, "/user/rooms/team:7/access", "alice")
    assert answer.status_code == 200, answer.text
    assert answer.headers["cache-control"] == "no-store"
    claims = node_verify_room_access(answer.json()["token"], secret, "team:7")
    assert claims["clientId"] == "alice"
    assert get(app, "/user/rooms/team:7/access", "bob").json()["error"] == "forbidden"
    assert get(app, "/user/rooms/team:7/access").status_code == 401


def test_the_middleware_serves_the_same_endpoint_without_routes() -> None:
    namespace = run_snippet(PAGE, "Room access", 0)
    run_snippet(PAGE, "Room access", 1, namespace)
    app = Starlette(
        middleware=[
            Middleware(AuthenticationMiddleware, backend=HeaderBackend()),
            namespace["relaybox_middleware"],
        ]
    )
    secret = namespace["RELAYBOX_API_KEY"].split(":", 1)[1]
    answer = call(app, "GET", "/user/rooms/team:7/access", headers=as_user("alice"))
    assert answer.status_code == 200, answer.text
    claims = node_verify_room_access(answer.json()["token"], secret, "team:7")
    assert claims["clientId"] == "alice"
    refused = call(app, "GET", "/user/rooms/team:7/access", headers=as_user("bob"))
    assert refused.json()["error"] == "forbidden"
    assert call(app, "GET", "/user/rooms/team:7/access").status_code == 401
    assert call(app, "GET", "/user/auth", headers=as_user("bob")).status_code == 200


def test_without_the_hook_no_route_is_served() -> None:
    routes = relaybox_routes(api_key=TEST_API_KEY, load_user=lambda request: "alice")
    assert [route.name for route in routes] == ["relaybox_auth"]  # type: ignore[attr-defined]
    assert RelayBoxIssuer(api_key=TEST_API_KEY).room_access is None


def test_the_path_can_move_and_bad_hooks_or_paths_are_refused_when_built() -> None:
    routes = relaybox_routes(
        api_key=TEST_API_KEY,
        load_user=lambda request: "alice",
        can_join_room=lambda *args: True,
        room_access_path="/rooms/{room_id}",
    )
    answer = get(Starlette(routes=routes), "/rooms/lobby")
    node_verify_room_access(answer.json()["token"], TEST_SECRET, "lobby")
    # The whole path: a newline after it is not the path (a regex's "$" would take it).
    default = relaybox_routes(
        api_key=TEST_API_KEY, load_user=lambda request: "alice", can_join_room=lambda *a: True
    )
    assert get(Starlette(routes=default), "/rooms/lobby/access").status_code == 200
    assert get(Starlette(routes=default), "/rooms/lobby/access%0A").status_code == 404
    with pytest.raises(ConfigurationError, match="can_join_room: expected a function"):
        RelayBoxIssuer(api_key=TEST_API_KEY, can_join_room="yes")  # type: ignore[arg-type]
    with pytest.raises(ConfigurationError, match="room_access_path") as caught:
        relaybox_routes(
            api_key=TEST_API_KEY, can_join_room=lambda *args: True, room_access_path="/rooms"
        )
    assert caught.value.setting == "room_access_path"
