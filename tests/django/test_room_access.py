"""The Django guide's "Room access" snippet, run as written, and what only Django's room
access views do (the contract suite covers what every adapter does): the URL names, the CSRF
check on POST, the async view's hook in a thread, the DRF view with real sessions."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from asgiref.sync import async_to_sync
from django.contrib.auth.models import Group
from django.test import AsyncClient, Client, override_settings
from django.urls import reverse

from tests.support.responses import assert_json_error
from tests.support.servers import TEST_API_KEY, TEST_SECRET
from tests.support.snippets import assert_runs, run_snippet
from tests.support.verifier import node_verify_room_access

pytestmark = pytest.mark.django_db

PAGE = "docs/guides/django.rst"
SNIPPETS = {("docs/guides/django.rst", "Room access", "python"): 1}


def test_the_page_has_the_snippets_these_tests_run() -> None:
    assert_runs(SNIPPETS)


@pytest.fixture
def hook() -> Any:
    return run_snippet(PAGE, "Room access", 0)["can_join_room"]


def room_token(response: Any, room_id: str) -> dict[str, Any]:
    assert response.status_code == 200, response.content
    assert response["Cache-Control"] == "no-store"
    body = response.json()
    assert set(body) == {"token", "expiresIn", "expiresAt"}
    return node_verify_room_access(body["token"], TEST_SECRET, room_id)


def test_group_members_join_the_room_named_after_their_group(hook: Any, user: Any) -> None:
    Group.objects.create(name="team:7").user_set.add(user)
    with override_settings(RELAYBOX={"API_KEY": TEST_API_KEY, "CAN_JOIN_ROOM_HOOK": hook}):
        assert reverse("relaybox:room_access", args=["team:7"]) == "/user/rooms/team:7/access"
        client = Client()
        assert_json_error(client.get("/user/rooms/team:7/access"), 401, "not_authenticated")
        client.force_login(user)
        claims = room_token(client.get("/user/rooms/team:7/access"), "team:7")
        assert (claims["roomId"], claims["clientId"]) == ("team:7", str(user.pk))
        assert_json_error(client.get("/user/rooms/team:8/access"), 403, "forbidden")
        user.is_active = False
        user.save()
    with override_settings(
        RELAYBOX={"API_KEY": TEST_API_KEY, "CAN_JOIN_ROOM_HOOK": hook},
        AUTHENTICATION_BACKENDS=["django.contrib.auth.backends.AllowAllUsersModelBackend"],
    ):
        client = Client()
        client.force_login(user)
        body = assert_json_error(client.get("/user/rooms/team:7/access"), 403, "forbidden")
        assert body["message"] == "Your account cannot join rooms."


def test_the_async_view_runs_the_hook_off_the_event_loop(hook: Any, user: Any) -> None:
    Group.objects.create(name="team:7").user_set.add(user)
    loops: list[bool] = []

    def recording(request: Any, user: Any, client_id: str, room_id: str) -> bool:
        try:
            asyncio.get_running_loop()
        except RuntimeError:
            loops.append(False)
        else:
            loops.append(True)
        return bool(hook(request, user, client_id, room_id))

    async def ask(client: AsyncClient) -> Any:
        return await client.get("/async/rooms/team:7/access")

    with override_settings(RELAYBOX={"API_KEY": TEST_API_KEY, "CAN_JOIN_ROOM_HOOK": recording}):
        assert (
            reverse("relaybox-async:room_access", args=["team:7"]) == "/async/rooms/team:7/access"
        )
        client = AsyncClient()
        client.force_login(user)
        room_token(async_to_sync(ask)(client), "team:7")
    assert loops == [False]


def test_post_needs_the_csrf_token_and_other_methods_do_not_reach_it(user: Any) -> None:
    setting = {"API_KEY": TEST_API_KEY, "CAN_JOIN_ROOM_HOOK": lambda *args: True}
    with override_settings(RELAYBOX=setting):
        client = Client(enforce_csrf_checks=True)
        client.force_login(user)
        assert_json_error(client.post("/user/rooms/lobby/access"), 403, "csrf_failed")
        secret = "a" * 32  # a CSRF cookie as Django sets one, and the header that matches it
        client.cookies["csrftoken"] = secret
        answer = client.post("/user/rooms/lobby/access", headers={"X-CSRFToken": secret})
        room_token(answer, "lobby")
        assert_json_error(client.put("/user/rooms/lobby/access"), 405, "method_not_allowed")


def test_without_the_hook_every_room_is_a_json_404_naming_the_setting(user: Any) -> None:
    with override_settings(RELAYBOX={"API_KEY": TEST_API_KEY}):
        client = Client()
        client.force_login(user)
        for path in ("/user/rooms/lobby/access", "/async/rooms/lobby/access"):
            body = assert_json_error(client.get(path), 404, "not_found")
            assert "CAN_JOIN_ROOM_HOOK" in body["message"]


def fail(*args: Any) -> Any:
    raise RuntimeError("the hook failed")


@pytest.mark.parametrize("path", ["/user/rooms/lobby/access", "/async/rooms/lobby/access"])
def test_the_debug_page_of_a_failing_hook_hides_the_secret(user: Any, path: str) -> None:
    """Django shows every local of every frame with DEBUG on: the room endpoint's included."""
    with override_settings(
        DEBUG=True, RELAYBOX={"API_KEY": TEST_API_KEY, "CAN_JOIN_ROOM_HOOK": fail}
    ):
        client = Client(raise_request_exception=False)
        client.force_login(user)
        response = client.get(path, HTTP_ACCEPT="text/html")
    page = response.content.decode()
    assert response.status_code == 500
    assert 'id="traceback"' in page
    assert "the hook failed" in page
    assert "RoomAccessEndpoint(RelayBox(public_key=" in page
    assert TEST_SECRET not in page
