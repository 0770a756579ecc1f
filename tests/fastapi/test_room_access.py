"""The FastAPI guide's "Room access" snippet, run as written, and the room access routes in
the OpenAPI schema (the contract suite covers what every adapter answers)."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx

from relaybox_integrations.fastapi import relaybox_router
from tests.support.servers import TEST_API_KEY
from tests.support.snippets import assert_runs, run_snippet
from tests.support.verifier import node_verify_room_access

PAGE = "docs/guides/fastapi.rst"
SNIPPETS = {("docs/guides/fastapi.rst", "Room access", "python"): 1}


def test_the_page_has_the_snippets_these_tests_run() -> None:
    assert_runs(SNIPPETS)


def get(app: Any, path: str) -> httpx.Response:
    async def request() -> httpx.Response:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
            return await client.get(path)

    return asyncio.run(request())


def test_team_members_join_their_teams_room() -> None:
    namespace = run_snippet(PAGE, "Room access", 0)
    app = namespace["app"]
    secret = namespace["RELAYBOX_API_KEY"].split(":", 1)[1]
    for user, status in (("alice", 200), ("bob", 403), (None, 401)):
        app.dependency_overrides[namespace["current_user"]] = lambda user=user: user
        answer = get(app, "/user/rooms/team:7/access")
        assert answer.status_code == status, answer.text
        assert answer.headers["cache-control"] == "no-store"
        if status == 200:
            claims = node_verify_room_access(answer.json()["token"], secret, "team:7")
            assert claims["clientId"] == "alice"
    assert app.url_path_for("relaybox_room_access", room_id="team:7") == "/user/rooms/team:7/access"


def test_the_room_access_routes_are_documented_in_openapi() -> None:
    from fastapi import FastAPI

    app = FastAPI()
    app.include_router(
        relaybox_router(
            dependency=lambda: None, api_key=TEST_API_KEY, can_join_room=lambda *args: True
        ),
        prefix="/user",
    )
    operations = app.openapi()["paths"]["/user/rooms/{room_id}/access"]
    assert set(operations) == {"get", "post"}
    for operation in operations.values():
        assert [parameter["name"] for parameter in operation["parameters"]] == ["room_id"]
        responses = operation["responses"]
        assert responses["200"]["content"]["application/json"]["schema"] == {
            "$ref": "#/components/schemas/TokenBody"
        }
        for status in ("400", "401", "403", "500"):
            schema = responses[status]["content"]["application/json"]["schema"]
            assert schema == {"$ref": "#/components/schemas/ErrorBody"}
        for answer in responses.values():
            assert answer["headers"]["Cache-Control"]["schema"]["const"] == "no-store"


def test_without_the_hook_the_router_has_no_room_access_route() -> None:
    from fastapi import FastAPI

    app = FastAPI()
    app.include_router(relaybox_router(dependency=lambda: None, api_key=TEST_API_KEY))
    assert "/rooms/{room_id}/access" not in app.openapi()["paths"]
