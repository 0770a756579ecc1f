"""The snippets of the page on rooms and users run as written, against a recording server
standing in for the state and auth services."""

from __future__ import annotations

import json

import pytest

from tests.core.services.test_answers import IDENTITY, USER
from tests.support.recording_server import RecordingServer, json_answer
from tests.support.servers import TEST_API_KEY
from tests.support.snippets import assert_runs, run_snippet

PAGE = "docs/core/services.rst"
SNIPPETS = {
    ("docs/core/services.rst", "Managing rooms", "python"): 2,
    ("docs/core/services.rst", "Relaybox users", "python"): 1,
}


def test_the_page_has_the_snippets_these_tests_run() -> None:
    assert_runs(SNIPPETS)


@pytest.fixture(autouse=True)
def environment(server: RecordingServer, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("RELAYBOX_API_KEY", TEST_API_KEY)
    monkeypatch.setenv("RELAYBOX_STATE_URL", server.url + "/state")
    monkeypatch.setenv("RELAYBOX_AUTH_SERVICE_URL", server.url + "/auth")


def test_the_room_snippets_run(server: RecordingServer) -> None:
    server.answer(json_answer(201, {"id": "team:7", "uuid": "u7", "visibility": "private"}))
    namespace = run_snippet(PAGE, "Managing rooms", 0)
    assert namespace["room"].visibility == "private"
    namespace["relaybox"].close()
    server.answer(json_answer(201, {"id": "team:8", "uuid": "u8", "visibility": "authorized"}))
    run_snippet(PAGE, "Managing rooms", 1)
    assert [(r.method, r.path) for r in server.requests] == [
        ("POST", "/state/rooms"),
        ("POST", "/state/rooms/team:7/members"),
        ("PUT", "/state/rooms/team:7/members/bob"),
        ("DELETE", "/state/rooms/team:7/members/bob"),
        ("PUT", "/state/rooms/team:7/visibility"),
        ("POST", "/state/rooms"),
    ]
    assert json.loads(server.requests[0].body)["roomName"] == "Team 7"


def test_the_users_snippet_runs(server: RecordingServer) -> None:
    server.answer(json_answer(200, USER), json_answer(200, IDENTITY))
    namespace = run_snippet(PAGE, "Relaybox users", 0)
    assert namespace["user"].client_id == "alice"
    assert namespace["identity"].provider_id == "gh-42"
    assert [r.path for r in server.requests] == [
        "/auth/users/alice",
        "/auth/identity?provider=github",
    ]
