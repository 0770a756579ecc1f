"""Typed results from the services' answers, and one error type for every refusal: JSON or
not, sync and async; what is retried, what is not, and the timeout."""

from __future__ import annotations

import contextlib
import pickle
import time
from typing import Any

import pytest

from relaybox_integrations import (
    RelayBox,
    ServiceError,
    ServiceOutcomeUnknownError,
    ServiceRequestError,
)
from relaybox_integrations.rooms import Room
from relaybox_integrations.services import ServiceAnswer
from relaybox_integrations.transport import MAX_ANSWER_BYTES
from relaybox_integrations.users import User, UserIdentity
from tests.core.services.calls import AUTH_TOKEN, CALLS, MODES, invoke
from tests.core.services.conftest import relaybox_for
from tests.support.recording_server import Answer, RecordingServer, json_answer, recording_server
from tests.support.servers import TEST_API_KEY, free_port

#: The auth service's answer to GET /users/{id} (auth src/handlers/users/get-users-id.ts).
USER = {
    "id": "7b0f0a0e-1",
    "clientId": "alice",
    "createdAt": "2025-03-01T10:00:00.000Z",
    "updatedAt": "2025-03-02T10:00:00.000Z",
    "username": "alice",
    "orgId": "org-1",
    "appId": "app-1",
    "isOnline": True,
    "lastOnline": "2025-03-03T10:00:00.000Z",
    "blockedAt": None,
    "firstName": "Alice",
    "lastName": None,
    "identities": [{"id": "i-1", "provider": "github", "providerId": "gh-42"}],
}
#: Its answer to the identity call (auth src/modules/users/users.service.ts:945-965).
IDENTITY = {
    "id": "i-1",
    "accessToken": "gho_provider-access-token",
    "provider": "github",
    "providerId": "gh-42",
    "verifiedAt": "2025-03-01T10:00:00.000Z",
}
WRITES = ["create", "set_visibility", "add_member", "remove_member", "set_member_type"]
READS = ["get_user", "get_user_identity"]


def test_room_results(relaybox: RelayBox, server: RecordingServer) -> None:
    room = {"id": "chat:1", "uuid": "5d1c", "visibility": "private"}
    server.answer(json_answer(201, room), json_answer(200, {"surprise": True}))
    assert relaybox.rooms.create("chat:1", AUTH_TOKEN) == Room("chat:1", "5d1c", "private", room)
    # The state service's answers are not public: an answer of another shape is kept whole.
    odd = relaybox.rooms.set_visibility("chat:1", AUTH_TOKEN)
    assert odd == Room(None, None, None, {"surprise": True})


@pytest.mark.parametrize("mode", MODES)
def test_member_results_keep_the_answer(
    relaybox: RelayBox, server: RecordingServer, mode: str
) -> None:
    member = {"roomId": "chat:1", "clientId": "alice", "memberType": "member"}
    server.answer(json_answer(200, member))
    assert invoke(mode, relaybox, CALLS["add_member"]) == ServiceAnswer(200, member)
    server.answer(Answer(204, b""))  # an empty answer, on which the official library throws
    assert invoke(mode, relaybox, CALLS["remove_member"]) == ServiceAnswer(204, None)


@pytest.mark.parametrize("mode", MODES)
def test_user_results(relaybox: RelayBox, server: RecordingServer, mode: str) -> None:
    server.answer(json_answer(200, USER))
    user = invoke(mode, relaybox, CALLS["get_user"])
    assert user == User(
        id="7b0f0a0e-1",
        client_id="alice",
        username="alice",
        first_name="Alice",
        last_name=None,
        org_id="org-1",
        app_id="app-1",
        is_online=True,
        last_online="2025-03-03T10:00:00.000Z",
        blocked_at=None,
        created_at="2025-03-01T10:00:00.000Z",
        updated_at="2025-03-02T10:00:00.000Z",
        identities=(UserIdentity("i-1", "github", "gh-42"),),
        data=USER,
    )
    server.answer(json_answer(200, IDENTITY), json_answer(200, None))
    identity = invoke(mode, relaybox, CALLS["get_user_identity"])
    assert identity == UserIdentity(
        "i-1", "github", "gh-42", "gho_provider-access-token", "2025-03-01T10:00:00.000Z"
    )
    assert "gho_" not in repr(identity)  # the provider's token is a credential
    assert invoke(mode, relaybox, CALLS["get_user_identity"]) is None  # no such identity


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("answer", [{"clientId": "alice"}, [USER], "alice"])
def test_an_answer_that_is_not_a_user_is_an_error(
    relaybox: RelayBox, server: RecordingServer, mode: str, answer: Any
) -> None:
    server.answer(json_answer(200, answer))
    with pytest.raises(ServiceError, match="not a user: is auth_service_url right") as raised:
        invoke(mode, relaybox, CALLS["get_user"])
    assert raised.value.status == 200


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("answer", [{"provider": "github"}, {"id": 1, "provider": "github"}, []])
def test_an_answer_that_is_not_an_identity_is_an_error(
    relaybox: RelayBox, server: RecordingServer, mode: str, answer: Any
) -> None:
    server.answer(json_answer(200, answer))
    with pytest.raises(ServiceError, match="not an identity: is auth_service_url right") as raised:
        invoke(mode, relaybox, CALLS["get_user_identity"])
    assert raised.value.status == 200
    assert AUTH_TOKEN not in str(raised.value)


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize(
    ("name", "option"), [("create", "state_url"), ("get_user", "auth_service_url")]
)
def test_an_answer_too_long_to_be_the_services_names_the_url_option(
    relaybox: RelayBox, server: RecordingServer, mode: str, name: str, option: str
) -> None:
    server.answer(json_answer(200, {"padding": "x" * MAX_ANSWER_BYTES}))
    with pytest.raises(ServiceError) as raised:
        invoke(mode, relaybox, CALLS[name])
    said = str(raised.value)
    assert f"longer than {MAX_ANSWER_BYTES} bytes" in said
    assert f"(Relaybox's answers are small JSON objects: is {option} right?)" in said
    assert len(server.requests) == 1  # not sent again


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("name", WRITES + READS)
def test_a_json_error_answer_carries_the_services_fields(
    relaybox: RelayBox, server: RecordingServer, mode: str, name: str
) -> None:
    error = {"name": "NotFoundError", "message": "Room not found", "data": {"roomId": "chat:1"}}
    server.answer(json_answer(404, error))
    with pytest.raises(ServiceError) as raised:
        invoke(mode, relaybox, CALLS[name])
    assert type(raised.value) is ServiceError
    refused = raised.value
    assert (refused.status, refused.name, refused.message, refused.data) == (
        404, "NotFoundError", "Room not found", {"roomId": "chat:1"}
    )  # fmt: skip
    assert refused.method == CALLS[name].method
    assert refused.url == server.url + CALLS[name].path
    assert "HTTP 404" in str(refused)
    assert "NotFoundError: Room not found" in str(refused)
    assert len(server.requests) == 1
    assert AUTH_TOKEN not in str(refused)
    assert pickle.loads(pickle.dumps(refused)).data == {"roomId": "chat:1"}


@pytest.mark.parametrize("mode", MODES)
def test_error_fields_follow_the_official_library(
    relaybox: RelayBox, server: RecordingServer, mode: str
) -> None:
    """``body.message || 'Service request failed'``, ``err.name`` and ``err.data || null``
    (rest-js lib/request.ts:62-64, lib/errors.ts:37-47); API Gateway's own refusals write
    ``Message``."""
    server.answer(
        json_answer(401, {"message": "Unauthorized"}),
        json_answer(403, {"Message": "User is not authorized to access this resource"}),
        json_answer(400, {"name": "ValidationError", "message": "", "data": 0}),
        json_answer(400, {"name": "ValidationError", "data": []}),
    )
    seen = []
    for _ in range(4):
        with pytest.raises(ServiceError) as raised:
            invoke(mode, relaybox, CALLS["get_user"])
        seen.append((raised.value.status, raised.value.name, raised.value.message))
        last = raised.value
    assert seen == [
        (401, None, "Unauthorized"),
        (403, None, "User is not authorized to access this resource"),
        (400, "ValidationError", "Service request failed"),
        (400, "ValidationError", "Service request failed"),
    ]
    assert last.data == []  # an empty array is truthy in JavaScript


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("name", WRITES + READS)
def test_an_error_answer_that_is_not_json_is_the_same_error(
    server: RecordingServer, mode: str, name: str
) -> None:
    page = b"<html><body><h1>502 Bad Gateway</h1></body></html>"
    server.answer(*[Answer(502, page, (("Content-Type", "text/html"),))] * 3)
    with pytest.raises(ServiceError) as raised:
        invoke(mode, relaybox_for(server), CALLS[name])
    refused = raised.value
    assert (refused.status, refused.name, refused.message, refused.data) == (
        502, None, "Service request failed", None
    )  # fmt: skip
    assert refused.body == page.decode()
    assert "not JSON" in str(refused)
    assert "502 Bad Gateway" in str(refused)
    # A gateway's answer: a read is tried again (twice, the default), a change never is.
    assert len(server.requests) == (3 if name in READS else 1)
    assert refused.attempts == len(server.requests)
    if name in WRITES:
        assert "not retried" in str(refused)


@pytest.mark.parametrize("mode", MODES)
def test_a_success_that_is_not_json_may_have_been_applied(
    relaybox: RelayBox, server: RecordingServer, mode: str
) -> None:
    server.answer(Answer(200, b"OK", (("Content-Type", "text/plain"),)))
    with pytest.raises(ServiceOutcomeUnknownError, match="may have been applied"):
        invoke(mode, relaybox, CALLS["create"])
    server.answer(Answer(200, b"<html>", (("Content-Type", "text/html"),)))
    with pytest.raises(ServiceError, match="Is auth_service_url right") as raised:
        invoke(mode, relaybox, CALLS["get_user"])
    assert type(raised.value) is ServiceError


@pytest.mark.parametrize("mode", MODES)
def test_an_answer_quoting_the_token_back_never_shows_it(
    relaybox: RelayBox, server: RecordingServer, mode: str
) -> None:
    echo = {"name": "Echo", "message": f"you sent Bearer {AUTH_TOKEN}"}
    server.answer(json_answer(400, echo), Answer(200, f"<p>{AUTH_TOKEN}</p>".encode()))
    for name in ["create", "add_member"]:
        with pytest.raises(ServiceError) as raised:
            invoke(mode, relaybox, CALLS[name])
        shown = [str(raised.value), raised.value.message, raised.value.body, repr(raised.value)]
        assert not any(AUTH_TOKEN in text for text in shown)
        assert "<auth token>" in raised.value.body


@pytest.mark.parametrize("mode", MODES)
def test_a_redirect_is_not_followed(relaybox: RelayBox, server: RecordingServer, mode: str) -> None:
    server.answer(Answer(307, b"", (("Location", "http://elsewhere.example/rooms"),)))
    with pytest.raises(ServiceError, match="redirects are not followed") as raised:
        invoke(mode, relaybox, CALLS["create"])
    assert raised.value.status == 307
    assert "http://elsewhere.example/rooms" in str(raised.value)
    assert len(server.requests) == 1


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("name", ["add_member", "get_user"])
def test_a_request_that_never_went_out_is_tried_again(mode: str, name: str) -> None:
    """A refused connection: nothing can have been applied, so a change is retried too.
    The service comes up during the first wait."""
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    relaybox = RelayBox(TEST_API_KEY, state_url=url + "/state", auth_service_url=url + "/auth")
    service = relaybox.rooms._service if name == "add_member" else relaybox.users._service
    waits: list[float] = []
    with contextlib.ExitStack() as stack:

        def start(delay: float) -> None:
            waits.append(delay)
            stack.enter_context(recording_server(port)).answer(json_answer(200, USER))

        async def astart(delay: float) -> None:
            start(delay)

        service.sleep, service.async_sleep = start, astart
        invoke(mode, relaybox, CALLS[name])
    assert len(waits) == 1
    assert 0.25 <= waits[0] <= 0.5


@pytest.mark.parametrize("mode", MODES)
def test_nobody_listening_gives_up_after_the_retries(mode: str) -> None:
    port = free_port()
    relaybox = RelayBox(TEST_API_KEY, state_url=f"http://127.0.0.1:{port}", retries=1)
    relaybox.rooms._service.sleep = lambda delay: None
    with pytest.raises(ServiceError, match="never went out, nothing was changed") as raised:
        invoke(mode, relaybox, CALLS["create"])
    assert type(raised.value) is ServiceError
    assert (raised.value.status, raised.value.attempts) == (None, 2)


@pytest.mark.parametrize("mode", MODES)
def test_a_dropped_connection_is_not_retried(server: RecordingServer, mode: str) -> None:
    relaybox = relaybox_for(server)
    server.answer(Answer(drop=True))
    with pytest.raises(ServiceOutcomeUnknownError, match="may or may not have been applied"):
        invoke(mode, relaybox, CALLS["set_member_type"])
    server.answer(Answer(drop=True))
    with pytest.raises(ServiceError, match="no answer") as raised:
        invoke(mode, relaybox, CALLS["get_user"])
    assert type(raised.value) is ServiceError
    assert len(server.requests) == 2


@pytest.mark.parametrize("mode", MODES)
def test_the_timeout_bounds_each_call(server: RecordingServer, mode: str) -> None:
    relaybox = relaybox_for(server, timeout=0.3)
    server.answer(json_answer(200, {}, delay=2), json_answer(200, USER, delay=2))
    began = time.monotonic()
    with pytest.raises(ServiceOutcomeUnknownError, match="within the timeout"):
        invoke(mode, relaybox, CALLS["create"])
    with pytest.raises(ServiceError, match="within the timeout"):
        invoke(mode, relaybox, CALLS["get_user"])
    assert time.monotonic() - began < 1.5
    assert len(server.requests) == 2  # no answer after sending: not sent again


@pytest.mark.parametrize(
    ("call", "argument"),
    [
        (lambda r: r.rooms.create("chat 1", AUTH_TOKEN), "room_id"),
        (lambda r: r.rooms.create("chat:1", AUTH_TOKEN, visibility="secret"), "visibility"),
        (lambda r: r.rooms.create("chat:1", AUTH_TOKEN, member_type="boss"), "member_type"),
        (lambda r: r.rooms.create("chat:1", AUTH_TOKEN, password=""), "password"),
        (lambda r: r.rooms.create("chat:1", AUTH_TOKEN, name="\udc80"), "name"),
        (lambda r: r.rooms.add_member("chat:1", None, AUTH_TOKEN), "client_id"),
        (lambda r: r.rooms.remove_member("chat:1", "..", AUTH_TOKEN), "client_id"),
        (lambda r: r.rooms.set_member_type("chat:1", "a", "owner", ""), "auth_token"),
        (lambda r: r.rooms.set_visibility("chat:1", f"Bearer {AUTH_TOKEN}"), "auth_token"),
        (lambda r: r.rooms.set_visibility("chat:1", AUTH_TOKEN + "\r\nX: 1"), "auth_token"),
        (lambda r: r.users.get_user("alice", None), "auth_token"),
        (lambda r: r.users.get_user(None, AUTH_TOKEN), "client_id"),
        (lambda r: r.users.get_user("", AUTH_TOKEN), "client_id"),
        (lambda r: r.users.get_user_identity(AUTH_TOKEN, ""), "provider"),
    ],
)
def test_a_bad_argument_sends_nothing(
    relaybox: RelayBox, server: RecordingServer, call: Any, argument: str
) -> None:
    with pytest.raises(ServiceRequestError) as raised:
        call(relaybox)
    assert raised.value.argument == argument
    assert AUTH_TOKEN not in str(raised.value)
    assert server.requests == []


def test_reprs_hide_the_credentials(relaybox: RelayBox) -> None:
    shown = repr([relaybox, relaybox.rooms, relaybox.users, relaybox.rooms._service])
    assert "secret" not in shown
    assert relaybox.rooms._service.url in shown
    with pytest.raises(TypeError):
        pickle.dumps(relaybox.rooms._service)
