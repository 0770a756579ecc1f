"""The room access endpoint's contract, driven through every adapter the same way.

Each adapter serves ``.../rooms/<room_id>/access`` and answers as
``relaybox_integrations.room_access`` documents; the token is checked by Node's
jsonwebtoken as relaybox/core checks a join's ``accessToken`` (signature, ``exp``, then the
room id).
"""

from __future__ import annotations

import logging
from typing import Any

import pytest

from relaybox_integrations import AccessDenied
from tests.support.servers import TEST_SECRET
from tests.support.verifier import node_verify_many, node_verify_room_access

from .conftest import HARNESSES
from .users import UUID, Answer, Harness, Options, RoomSend

ALLOW = "GET, POST, OPTIONS"
NOT_AUTHENTICATED = {"error": "not_authenticated", "message": "Log in to join Relaybox rooms."}
REFUSED = {"error": "forbidden", "message": "You may not join this room."}
TOKEN_ERROR = {
    "error": "token_error",
    "message": "The server could not issue a room access token; its log says why.",
}

ROOM_HARNESSES = [harness for harness in HARNESSES if hasattr(harness, "build_room_access")]


@pytest.fixture(params=ROOM_HARNESSES, ids=[harness.name for harness in ROOM_HARNESSES])
def harness(request: pytest.FixtureRequest, django_db: Any) -> Harness:
    return request.param  # type: ignore[no-any-return]


def assert_json(answer: Answer, status: int, body: dict[str, str] | None = None) -> Any:
    assert answer.status == status, answer.body
    assert answer.headers["content-type"] == "application/json"
    assert answer.headers["cache-control"] == "no-store"
    assert TEST_SECRET.encode() not in answer.body
    if body is not None:
        assert answer.json() == body
    return answer.json()


def room_claims(answer: Answer, room_id: str) -> dict[str, Any]:
    """The token's claims, as relaybox/core's join check reads them for ``room_id``."""
    body = assert_json(answer, 200)
    assert set(body) == {"token", "expiresIn", "expiresAt"}
    verified = node_verify_room_access(body["token"], TEST_SECRET, room_id)
    assert verified["tokenType"] == "basic_access"
    assert body["expiresAt"] == verified["exp"] * 1000
    assert body["expiresIn"] == verified["exp"] - verified["iat"] == verified["expiresIn"] == 900
    return verified


class Calls:
    """A ``can_join_room`` hook that lets users into ``team:<their id>`` and records its
    calls as ``(client_id, room_id)``."""

    def __init__(self) -> None:
        self.seen: list[tuple[str, str]] = []
        self.requests: list[Any] = []
        self.users: list[Any] = []

    def __call__(self, request: Any, user: Any, client_id: str, room_id: str) -> bool:
        self.seen.append((client_id, room_id))
        self.requests.append(request)
        self.users.append(user)
        return room_id == f"team:{client_id}"


@pytest.fixture
def hook() -> Calls:
    return Calls()


@pytest.fixture
def send(harness: Harness, hook: Calls) -> RoomSend:
    return harness.build_room_access(Options(can_join_room=hook))


@pytest.mark.parametrize("method", ["GET", "POST"])
def test_a_member_gets_a_token_for_the_room_and_their_id(
    send: RoomSend, hook: Calls, method: str
) -> None:
    claims = room_claims(send("team:alice", method, user="alice"), "team:alice")
    assert (claims["roomId"], claims["clientId"]) == ("team:alice", "alice")
    assert hook.seen == [("alice", "team:alice")]
    assert hook.requests[0] is not None
    assert hook.users[0].id == "alice"


def test_the_token_admits_to_its_room_only(send: RoomSend) -> None:
    token = assert_json(send("team:7", "GET", user="seven"), 200)["token"]
    with pytest.raises(AssertionError, match="Room access denied"):
        node_verify_room_access(token, TEST_SECRET, "team:8")


def test_the_users_id_becomes_the_client_id(send: RoomSend) -> None:
    claims = room_claims(send(f"team:{UUID}", "GET", user="uuid"), f"team:{UUID}")
    assert claims["clientId"] == str(UUID)


@pytest.mark.parametrize("method", ["GET", "POST"])
def test_anonymous_visitors_get_401_and_the_hook_is_not_asked(
    send: RoomSend, hook: Calls, method: str
) -> None:
    assert_json(send("team:alice", method), 401, NOT_AUTHENTICATED)
    assert_json(send("team:alice", method, user="old-style"), 401, NOT_AUTHENTICATED)
    assert hook.seen == []


def test_anonymous_tokens_do_not_extend_to_rooms(harness: Harness) -> None:
    send = harness.build_room_access(
        Options(allow_anonymous=True, can_join_room=lambda *args: True)
    )
    assert_json(send("lobby", "GET"), 401, NOT_AUTHENTICATED)


def test_the_hook_saying_no_is_a_403(send: RoomSend, hook: Calls) -> None:
    assert_json(send("team:bob", "GET", user="alice"), 403, REFUSED)
    assert hook.seen == [("alice", "team:bob")]


@pytest.mark.parametrize("async_hooks", [False, True], ids=["sync", "async"])
def test_hooks_decide_identity_and_access_and_may_refuse_with_a_reason(
    harness: Harness, async_hooks: bool
) -> None:
    def can_join_room(request: Any, user: Any, client_id: str, room_id: str) -> bool:
        if client_id == "user-7":
            raise AccessDenied("Team 7 is closed today.")
        return room_id == "team:7" or room_id == f"{client_id}:inbox"

    send = harness.build_room_access(
        Options(
            identity=lambda user: f"user-{user.id}",
            can_join_room=can_join_room,
            async_hooks=async_hooks,
        )
    )
    claims = room_claims(send("user-alice:inbox", "GET", user="alice"), "user-alice:inbox")
    assert claims["clientId"] == "user-alice"
    assert room_claims(send("team:7", "POST", user="alice"), "team:7")["clientId"] == "user-alice"
    assert_json(
        send("user-7:inbox", "GET", user="seven"),
        403,
        {
            "error": "forbidden",
            "message": "Team 7 is closed today.",
        },
    )
    assert_json(send("team:8", "GET", user="alice"), 403, REFUSED)


@pytest.mark.parametrize(
    "verdict",
    [None, 1, "yes", [True]],
    ids=["none", "one", "string", "list"],
)
def test_a_hook_answer_other_than_true_or_false_is_a_logged_json_500(
    harness: Harness, verdict: object, caplog: pytest.LogCaptureFixture
) -> None:
    send = harness.build_room_access(Options(can_join_room=lambda *args: verdict))
    with caplog.at_level(logging.ERROR, "relaybox_integrations"):
        assert_json(send("lobby", "GET", user="alice"), 500, TOKEN_ERROR)
    assert "can_join_room returned" in caplog.text


def test_a_user_without_a_usable_identity_is_a_server_error(
    send: RoomSend, hook: Calls, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.ERROR, "relaybox_integrations"):
        assert_json(send("team:1", "GET", user="no-id"), 500, TOKEN_ERROR)
        assert_json(send("team:1", "GET", user="unflagged"), 500, TOKEN_ERROR)
    assert "is None" in caplog.text
    assert "unusable" in caplog.text
    assert hook.seen == []


@pytest.mark.parametrize(
    "room_id",
    [
        "team/7",
        "team 7",
        "tëam",
        "team%7",
        "<script>",
        "team:7?x",
        "team#7",
        "team\n7",
        "chat@home",
        "\uff54\uff45\uff41\uff4d",  # fullwidth letters: not ASCII
    ],
)
def test_a_room_id_relaybox_would_refuse_is_a_json_400(
    harness: Harness, send: RoomSend, hook: Calls, room_id: str
) -> None:
    if "\n" in room_id and harness.name == "starlette":
        pytest.skip("Starlette's Mount('/user') matches no newline: its router answers 404")
    body = assert_json(send(room_id, "GET", user="alice"), 400)
    assert body["error"] == "invalid_room_id"
    assert "room_id must be letters, digits" in body["message"]
    assert hook.seen == []


@pytest.mark.parametrize("room_id", ["team:alice", "a.b-c_d:E9", "x", "team:7:channel:2"])
def test_every_room_id_relaybox_accepts_reaches_the_hook(harness: Harness, room_id: str) -> None:
    send = harness.build_room_access(Options(can_join_room=lambda *args: True))
    assert room_claims(send(room_id, "GET", user="alice"), room_id)["roomId"] == room_id


def test_what_the_browser_sends_never_changes_the_room_or_the_user(
    send: RoomSend, hook: Calls
) -> None:
    spoof = {"roomId": "team:mallory", "room_id": "team:mallory", "clientId": "mallory"}
    headers = {"X-Client-Id": "mallory", "X-Room-Id": "team:mallory"}
    answers = [
        send("team:alice", "GET", user="alice", headers=headers, params=spoof),
        send("team:alice", "POST", user="alice", json=spoof, params=spoof),
        send("team:alice", "POST", user="alice", data=spoof),
        send(
            "team:alice",
            "POST",
            user="alice",
            data=b"{not json",
            headers={"Content-Type": "application/json"},
        ),
    ]
    tokens = [assert_json(answer, 200)["token"] for answer in answers]
    for verdict in node_verify_many(tokens, TEST_SECRET):
        assert not verdict["ok"]  # not an auth token: jsonwebtoken's id_token check refuses
    for token in tokens:
        claims = node_verify_room_access(token, TEST_SECRET, "team:alice")
        assert (claims["roomId"], claims["clientId"]) == ("team:alice", "alice")
    assert set(hook.seen) == {("alice", "team:alice")}
    hook.seen.clear()
    # A room the user may not join stays refused, whatever the browser claims.
    refused = send("team:mallory", "GET", user="alice", headers=headers, params=spoof)
    assert_json(refused, 403, REFUSED)
    assert hook.seen == [("alice", "team:mallory")]
    anonymous = send("team:alice", "GET", headers=headers, params={"clientId": "alice"})
    assert_json(anonymous, 401, NOT_AUTHENTICATED)


@pytest.mark.parametrize("method", ["PUT", "PATCH", "DELETE", "TRACE", "PROPFIND", "HEAD"])
def test_other_methods_get_a_json_405_without_the_user_being_looked_at(
    send: RoomSend, hook: Calls, method: str
) -> None:
    answer = send("team:alice", method, user="untouchable")
    assert answer.status == 405
    assert answer.headers["allow"] == ALLOW
    assert answer.headers["cache-control"] == "no-store"
    if method != "HEAD":
        assert assert_json(answer, 405)["error"] == "method_not_allowed"
    assert hook.seen == []


def test_options_is_an_empty_204_without_the_user_being_looked_at(send: RoomSend) -> None:
    answer = send("team:alice", "OPTIONS", user="untouchable")
    assert (answer.status, answer.body) == (204, b"")
    assert answer.headers["allow"] == ALLOW
    assert answer.headers["cache-control"] == "no-store"
    assert "content-type" not in answer.headers


def test_without_a_hook_no_room_access_is_served(harness: Harness) -> None:
    answer = harness.build_room_access(Options())("team:alice", "GET", user="alice")
    assert answer.status == 404
    assert TEST_SECRET.encode() not in answer.body
