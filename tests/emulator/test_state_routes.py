"""The emulator's own ``/state`` routes, sent exactly as the official server library
(``@relaybox/rest`` 1.14 ``rooms.*``) and the browser client send them, and refused as JSON
4xx, never a 500, whatever the input."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest

from relaybox_integrations import RelayBox
from relaybox_integrations.emulator import Emulator

from .conftest import run


def _bearer(relaybox: RelayBox, client_id: str | None = "olga", **options: Any) -> str:
    return relaybox.generate_token_response(client_id=client_id, **options).token


def _library(
    emulator: Emulator, method: str, path: str, token: str, body: dict[str, Any] | None = None
) -> httpx.Response:
    """A request as ``@relaybox/rest``'s ``serviceRequest`` makes it: JSON headers and the
    Bearer token, or (``deleteMember``) the Authorization header alone and no body."""
    headers = {"Authorization": f"Bearer {token}"}
    if body is not None:
        headers["Content-Type"] = "application/json"
    content = None if body is None else json.dumps(body).encode()
    return httpx.request(method, f"{emulator.url}/state{path}", headers=headers, content=content)


def test_the_official_librarys_room_calls(relaybox_emulator: Emulator, relaybox: RelayBox) -> None:
    token = _bearer(relaybox)
    # rooms.create(roomId, authToken, {visibility: 'authorized'}): the library's defaults.
    created = _library(
        relaybox_emulator,
        "POST",
        "/rooms",
        token,
        {
            "roomId": "team:7",
            "roomName": None,
            "memberType": "member",
            "visibility": "authorized",
            "password": None,
        },
    )
    assert created.status_code == 201, created.text
    room = relaybox_emulator.room("team:7")
    assert room is not None
    assert created.json() == {"id": "team:7", "uuid": room.uuid, "visibility": "authorized"}
    assert room.members == {"olga": "owner"}  # the token's clientId creates it, as core

    # rooms.setVisibility(roomId, authToken, {visibility: 'protected', password})
    changed = _library(
        relaybox_emulator,
        "PUT",
        "/rooms/team:7/visibility",
        token,
        {"visibility": "protected", "password": "s3cret"},
    )
    assert changed.status_code == 200, changed.text
    assert changed.json()["visibility"] == "protected"

    # rooms.addMember(roomId, clientId, authToken)
    added = _library(
        relaybox_emulator,
        "POST",
        "/rooms/team:7/members",
        token,
        {"roomId": "team:7", "clientId": "bob"},
    )
    assert added.status_code == 200, added.text
    assert added.json()["memberType"] == "member"
    assert added.json()["clientId"] == "bob"

    # rooms.setMemberType(roomId, clientId, memberType, authToken)
    typed = _library(
        relaybox_emulator,
        "PUT",
        "/rooms/team:7/members/bob",
        token,
        {"roomId": "team:7", "clientId": "bob", "memberType": "admin"},
    )
    assert typed.status_code == 200, typed.text
    assert typed.json()["memberType"] == "admin"
    assert relaybox_emulator.room("team:7").members == {"olga": "owner", "bob": "admin"}  # type: ignore[union-attr]

    # rooms.deleteMember(roomId, clientId, authToken): a JSON answer, which the library parses.
    deleted = _library(relaybox_emulator, "DELETE", "/rooms/team:7/members/bob", token)
    assert deleted.status_code == 200, deleted.text
    assert deleted.json()["clientId"] == "bob"
    assert relaybox_emulator.room("team:7").members == {"olga": "owner"}  # type: ignore[union-attr]


def test_the_browser_clients_state_calls(relaybox_emulator: Emulator, relaybox: RelayBox) -> None:
    """``room.setVisibility`` and ``room.getMembers``: the end user's own token."""
    relaybox_emulator.create_room("team", members={"olga": "owner", "mia": "member"})
    headers = {
        "Accept": "application/json",
        "Content-Type": "application/json",
        "Authorization": f"Bearer {_bearer(relaybox)}",
    }
    members = httpx.get(
        f"{relaybox_emulator.url}/state/rooms/team/members",
        params={"offset": "0", "limit": "1"},
        headers=headers,
    )
    assert members.status_code == 200, members.text
    assert members.json()["count"] == 2
    assert [m["clientId"] for m in members.json()["items"]] == ["olga"]
    changed = httpx.put(
        f"{relaybox_emulator.url}/state/rooms/team/visibility",
        headers=headers,
        content=json.dumps({"visibility": "private"}),
    )
    assert changed.status_code == 200, changed.text
    assert changed.headers["Access-Control-Allow-Origin"] == "*"
    preflight = httpx.options(
        f"{relaybox_emulator.url}/state/rooms/team/visibility",
        headers={"Origin": "http://localhost:8000", "Access-Control-Request-Method": "PUT"},
    )
    assert preflight.status_code == 204
    assert "PUT" in preflight.headers["Access-Control-Allow-Methods"]


def test_a_room_made_authorized_through_state_refuses_joins_without_a_token(
    relaybox_emulator: Emulator, relaybox: RelayBox, connect: Any
) -> None:
    body = {"roomId": "r", "visibility": "authorized"}
    assert _library(relaybox_emulator, "POST", "/rooms", _bearer(relaybox), body).status_code == 201

    async def scenario() -> None:
        from relaybox_integrations.emulator import AckError

        async with connect("bob") as bob:
            with pytest.raises(AckError, match="jwt must be provided"):
                await bob.join("r")
            access = relaybox.generate_room_access_token("r", "bob").token
            await bob.join("r", access_token=access)

    run(scenario())


@pytest.mark.parametrize(
    ("authorization", "status", "name"),
    [
        (None, 401, "UnauthorizedError"),
        ("Basic dXNlcjpwdw==", 401, "UnauthorizedError"),
        ("Bearer", 401, "UnauthorizedError"),
        ("Bearer not-a-token", 403, "ForbiddenError"),
        (
            "Bearer "
            + RelayBox("x.y:another-secret-for-this-test-only-00000000")
            .generate_token_response()
            .token,
            403,
            "ForbiddenError",
        ),
    ],
)
def test_the_bearer_token_must_be_one_signed_with_the_emulators_key(
    relaybox_emulator: Emulator, authorization: str | None, status: int, name: str
) -> None:
    headers = {} if authorization is None else {"Authorization": authorization}
    response = httpx.post(
        f"{relaybox_emulator.url}/state/rooms",
        headers=headers,
        content=json.dumps({"roomId": "r", "visibility": "public"}),
    )
    assert response.status_code == status
    assert response.json()["name"] == name
    assert relaybox_emulator.room("r") is None


def test_managing_a_room_needs_an_owner_or_admin(
    relaybox_emulator: Emulator, relaybox: RelayBox
) -> None:
    relaybox_emulator.create_room("team", members={"olga": "owner", "mia": "member"})
    for client_id in ("mia", "stranger", None):
        response = _library(
            relaybox_emulator,
            "PUT",
            "/rooms/team/visibility",
            _bearer(relaybox, client_id),
            {"visibility": "public", "password": None},
        )
        assert response.status_code == 403, client_id
        assert response.json() == {
            "statusCode": 403,
            "name": "ForbiddenError",
            "message": "Operation not permitted",
        }


def test_the_tokens_permissions_count(relaybox_emulator: Emulator, relaybox: RelayBox) -> None:
    token = _bearer(relaybox, permissions={"*": ["create"]})
    response = _library(
        relaybox_emulator, "POST", "/rooms", token, {"roomId": "p", "visibility": "private"}
    )
    assert response.status_code == 403
    assert response.json()["message"] == 'Client not permitted to perform "privacy" in "p"'
    no_create = _bearer(relaybox, permissions={"*": ["join"]})
    response = _library(
        relaybox_emulator, "POST", "/rooms", no_create, {"roomId": "q", "visibility": "public"}
    )
    assert response.status_code == 403


@pytest.mark.parametrize(
    ("method", "path", "body", "status", "message"),
    [
        ("POST", "/rooms", b"not json", 400, "the body must be a JSON object"),
        ("POST", "/rooms", b"[1, 2]", 400, "the body must be a JSON object"),
        ("POST", "/rooms", b"", 400, "the body must be a JSON object"),
        (
            "POST",
            "/rooms",
            b'{"roomId": "no spaces", "visibility": "public"}',
            400,
            "Invalid room id",
        ),
        ("POST", "/rooms", b'{"roomId": 7}', 400, "Invalid room id"),
        ("POST", "/rooms", b'{"roomId": "lobby\\n"}', 400, "Invalid room id"),
        ("POST", "/rooms", b'{"roomId": "r"}', 400, "Unsupported room type"),
        (
            "POST",
            "/rooms",
            b'{"roomId": "r", "visibility": "protected"}',
            400,
            "Password is required",
        ),
        (
            "POST",
            "/rooms",
            b'{"roomId": "r", "visibility": "protected", "password": 5}',
            400,
            "Password is required",
        ),
        (
            "POST",
            "/rooms",
            b'{"roomId": "r", "visibility": "public", "roomName": []}',
            400,
            "roomName",
        ),
        (
            "POST",
            "/rooms",
            b'{"roomId": "team", "visibility": "public"}',
            403,
            "Room already exists",
        ),
        (
            "PUT",
            "/rooms/team/visibility",
            b'{"visibility": "hidden"}',
            400,
            "Unsupported room type",
        ),
        ("PUT", "/rooms/nowhere/visibility", b'{"visibility": "public"}', 404, "Room not found"),
        ("PUT", "/rooms/bad%20id/visibility", b"{}", 400, "Invalid room id"),
        (
            "POST",
            "/rooms/team/members",
            b'{"roomId": "other", "clientId": "x"}',
            400,
            "roomId in the body",
        ),
        ("POST", "/rooms/team/members", b'{"clientId": ""}', 400, "clientId must be"),
        ("POST", "/rooms/team/members", b'{"clientId": {"a": 1}}', 400, "clientId must be"),
        ("PUT", "/rooms/team/members/mia", b'{"memberType": "boss"}', 400, "memberType must be"),
        (
            "PUT",
            "/rooms/team/members/mia",
            b'{"clientId": "olga", "memberType": "admin"}',
            400,
            "clientId in the body",
        ),
        ("PUT", "/rooms/team/members/ghost", b'{"memberType": "admin"}', 404, "User not found"),
        ("DELETE", "/rooms/team/members/olga", b"", 403, "Room member is owner"),
        ("DELETE", "/rooms/team/members/ghost", b"", 404, "Room member not found"),
        ("GET", "/rooms/team/members?offset=-1", b"", 400, "offset must be"),
        ("GET", "/rooms/team/members?limit=%C2%B2", b"", 400, "limit must be"),
        ("GET", "/rooms/nowhere/members", b"", 404, "Room not found"),
        ("GET", "/rooms", b"", 405, "use POST"),
        ("DELETE", "/rooms/team/visibility", b"", 405, "use PUT"),
        ("PATCH", "/rooms/team/members/mia", b"{}", 405, "use PUT or DELETE"),
        ("GET", "/", b"", 404, "no route"),
        ("POST", "/rooms/team", b"{}", 404, "no route"),
        ("GET", "/rooms/team/members/mia/extra", b"", 404, "no route"),
    ],
)
def test_bad_requests_are_json_4xx(
    relaybox_emulator: Emulator,
    relaybox: RelayBox,
    method: str,
    path: str,
    body: bytes,
    status: int,
    message: str,
) -> None:
    relaybox_emulator.create_room("team", members={"olga": "owner", "mia": "member"})
    response = httpx.request(
        method,
        f"{relaybox_emulator.url}/state{path}",
        headers={"Authorization": f"Bearer {_bearer(relaybox)}"},
        content=body,
    )
    assert response.status_code == status, response.text
    answer = response.json()
    assert answer["statusCode"] == status
    assert message in answer["message"]


def test_junk_never_makes_a_500(relaybox_emulator: Emulator, relaybox: RelayBox) -> None:
    relaybox_emulator.create_room("team", members={"olga": "owner"})
    headers = {"Authorization": f"Bearer {_bearer(relaybox)}"}
    junk: list[Any] = [None, 0, "x", [], {}, {"a": [1]}, "é" * 300, -1, 1e300, True]
    paths = ["/rooms", "/rooms/team/visibility", "/rooms/team/members", "/rooms/team/members/olga"]
    with httpx.Client(headers=headers) as client:
        for path in paths:
            for method in ("GET", "POST", "PUT", "DELETE"):
                for value in junk:
                    for name in ("roomId", "visibility", "password", "clientId", "memberType"):
                        response = client.request(
                            method,
                            f"{relaybox_emulator.url}/state{path}",
                            content=json.dumps({name: value, "roomId": "team"}),
                        )
                        assert response.status_code < 500, (method, path, name, value)
                        response.json()


def test_the_history_delete_route_still_says_the_emulator_lacks_it(
    relaybox_emulator: Emulator,
) -> None:
    response = httpx.delete(f"{relaybox_emulator.url}/state/messages/some-id")
    assert response.status_code == 501
