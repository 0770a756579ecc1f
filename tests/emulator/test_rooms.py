"""Rooms with rules: who may join a public, private, protected or authorized room, as
relaybox/core decides it, the room frames that manage them, and the emulator's own methods
that set them up for a test."""

from __future__ import annotations

import time
from typing import Any

import jwt
import pytest

from relaybox_integrations import RelayBox, TokenVerificationError
from relaybox_integrations.emulator import AckError, EmulatedRoom, Emulator

from .conftest import API_KEY, run

SECRET = API_KEY.split(":")[1]
OTHER_KEY = "other-app.other-key:another-secret-for-the-emulator-tests-0123456789"


def _room_token(**claims: Any) -> str:
    """A room access token made by hand (PyJWT, HS256), for what no library mints."""
    now = int(time.time())
    payload = {
        "publicKey": "demo-app.demo-key",
        "roomId": "team:7",
        "clientId": "alice",
        "tokenType": "basic_access",
        "iat": now,
        "exp": now + 900,
        "iss": "https://relaybox.net",
        **claims,
    }
    return jwt.encode({k: v for k, v in payload.items() if v is not None}, SECRET)


def _refusal(
    connect: Any,
    room_id: str,
    client_id: str | None = "alice",
    permissions: Any = None,
    **join: Any,
) -> AckError:
    """The acknowledgement error ``client_id`` (with a token's inline ``permissions``) gets
    joining ``room_id``."""

    async def scenario() -> AckError:
        async with connect(client_id, permissions=permissions) as client:
            with pytest.raises(AckError) as refused:
                await client.join(room_id, **join)
            # The connection still answers (a frame that needs no permission).
            await client.request("ds:client:room:metrics:unsubscribe", {"roomId": "r"})
            return refused.value

    return run(scenario())


def _joined(connect: Any, room_id: str, client_id: str = "alice", **join: Any) -> dict[str, Any]:
    """The acknowledgement of ``client_id``'s join to ``room_id``."""

    async def scenario() -> dict[str, Any]:
        async with connect(client_id) as client:
            return (await client.join(room_id, **join)).joined

    return run(scenario())


# --- authorized rooms ------------------------------------------------------------------


def test_an_authorized_room_admits_a_token_for_it(
    relaybox_emulator: Emulator, relaybox: RelayBox, connect: Any
) -> None:
    relaybox_emulator.create_room("team:7", visibility="authorized")
    token = relaybox.generate_room_access_token("team:7", "alice").token
    joined = _joined(connect, "team:7", access_token=token)
    assert joined["visibility"] == "authorized"
    assert joined["memberType"] == "member"
    assert joined["nspRoomId"] == "demo-app:team:7"
    assert joined["uuid"] == relaybox_emulator.room("team:7").uuid  # type: ignore[union-attr]


@pytest.mark.parametrize(
    ("token", "name", "message"),
    [
        (None, "JsonWebTokenError", "jwt must be provided"),
        ("", "JsonWebTokenError", "jwt must be provided"),
        ("not-a-token", "JsonWebTokenError", "jwt malformed"),
        ("a.b.c", "JsonWebTokenError", "invalid token"),
        ("eyJh+.eyJh.sig", "JsonWebTokenError", "invalid token"),  # not base64url
        ("é.é.é", "JsonWebTokenError", "invalid token"),
        (_room_token(roomId="team:8"), "ForbiddenError", "Room access denied"),
        (_room_token(exp=int(time.time()) - 5), "TokenExpiredError", "jwt expired"),
        (_room_token(nbf=int(time.time()) + 600), "NotBeforeError", "jwt not active"),
        (_room_token(exp="tomorrow"), "JsonWebTokenError", "invalid exp value"),
        (
            jwt.encode({"roomId": "team:7"}, "a-wrong-secret-of-a-decent-length-000"),
            "JsonWebTokenError",
            "invalid signature",
        ),
        (
            jwt.encode({"roomId": "team:7"}, SECRET, algorithm="HS384"),
            "JsonWebTokenError",
            "invalid algorithm",
        ),
        (
            _room_token()[: _room_token().rindex(".") + 1],
            "JsonWebTokenError",
            "jwt signature is required",
        ),
    ],
)
def test_an_authorized_room_refuses_as_core_does(
    relaybox_emulator: Emulator, connect: Any, token: str | None, name: str, message: str
) -> None:
    relaybox_emulator.create_room("team:7", visibility="authorized")
    refused = _refusal(connect, "team:7", access_token=token)
    assert (refused.name, refused.message) == (name, message)


def test_a_token_for_another_room_or_key_is_refused(
    relaybox_emulator: Emulator, relaybox: RelayBox, connect: Any
) -> None:
    relaybox_emulator.create_room("team:7", visibility="authorized")
    other_room = relaybox.generate_room_access_token("team:8", "alice").token
    assert _refusal(connect, "team:7", access_token=other_room).message == "Room access denied"
    other_key = RelayBox(OTHER_KEY).generate_room_access_token("team:7", "alice").token
    assert _refusal(connect, "team:7", access_token=other_key).message == "invalid signature"


def test_what_core_does_not_check_in_an_access_token(
    relaybox_emulator: Emulator, connect: Any
) -> None:
    """Core checks no issuer, clientId, tokenType nor publicKey, and needs no ``exp``."""
    relaybox_emulator.create_room("team:7", visibility="authorized")
    for token in (
        _room_token(iss="https://example.com", tokenType="id_token"),
        _room_token(clientId="mallory"),  # the holder need not be the token's client
        _room_token(publicKey="someone.else"),
        _room_token(exp=None),
    ):
        assert _joined(connect, "team:7", access_token=token)["visibility"] == "authorized"


def test_the_emulator_admits_what_verify_room_access_token_accepts(
    relaybox_emulator: Emulator, relaybox: RelayBox, connect: Any
) -> None:
    """For every token the package or the official library mints, the emulator and
    ``RelayBox.verify_room_access_token`` agree."""
    relaybox_emulator.create_room("team:7", visibility="authorized")
    past = RelayBox(API_KEY, clock=lambda: time.time() - 3600)
    tokens = {
        "valid": relaybox.generate_room_access_token("team:7", "alice").token,
        "another room": relaybox.generate_room_access_token("team:8", "alice").token,
        "expired": past.generate_room_access_token("team:7", "alice", expires_in=60).token,
        "another key": RelayBox(OTHER_KEY).generate_room_access_token("team:7", "a").token,
    }
    for what, token in tokens.items():
        try:
            relaybox.verify_room_access_token(token, "team:7")
            accepted = True
        except TokenVerificationError:
            accepted = False
        if accepted:
            _joined(connect, "team:7", access_token=token)
        else:
            _refusal(connect, "team:7", access_token=token)
        assert accepted == (what == "valid"), what


def test_public_rooms_ignore_an_access_token_and_a_password(
    relaybox_emulator: Emulator, connect: Any
) -> None:
    relaybox_emulator.create_room("open")
    joined = _joined(connect, "open", access_token="junk", password="junk")
    assert joined["visibility"] == "public"


# --- protected rooms -------------------------------------------------------------------


def test_a_protected_room_needs_its_password(relaybox_emulator: Emulator, connect: Any) -> None:
    relaybox_emulator.create_room("vault", visibility="protected", password="s3cret")
    missing = _refusal(connect, "vault")
    assert (missing.name, missing.message) == ("PasswordRequiredError", "Password required")
    wrong = _refusal(connect, "vault", password="guess")
    assert (wrong.name, wrong.message) == ("ForbiddenError", "Password access denied")
    assert _joined(connect, "vault", password="s3cret")["visibility"] == "protected"
    relaybox_emulator.set_room_visibility("vault", "protected", password="n3w")
    assert _refusal(connect, "vault", password="s3cret").message == "Password access denied"
    assert _joined(connect, "vault", password="n3w")["visibility"] == "protected"


def test_the_password_frame_changes_a_protected_rooms_password(
    relaybox_emulator: Emulator, connect: Any
) -> None:
    relaybox_emulator.create_room(
        "vault", visibility="protected", password="one", members={"owner-1": "owner"}
    )

    async def scenario() -> None:
        async with connect("owner-1") as owner, connect("bob") as bob:
            await owner.join("vault", password="one")
            update = {"roomId": "vault", "password": "two"}
            with pytest.raises(AckError, match="Room is not owned by the client"):
                await bob.request("ds:client:room:password:update", update)
            answer = await owner.request("ds:client:room:password:update", update)
            assert answer == {"id": "vault", "visibility": "protected"}
            with pytest.raises(AckError, match="Password access denied"):
                await bob.join("vault", password="one")
            await bob.join("vault", password="two")
            with pytest.raises(AckError, match="Room is not protected"):
                await owner.request(
                    "ds:client:room:password:update", {"roomId": "elsewhere", "password": "x"}
                )

    relaybox_emulator.create_room("elsewhere", members={"owner-1": "owner"})
    run(scenario())


# --- private rooms ---------------------------------------------------------------------


def test_a_private_room_admits_members_with_the_privacy_permission(
    relaybox_emulator: Emulator, connect: Any
) -> None:
    relaybox_emulator.create_room("staff", visibility="private", members=["alice"])
    assert _joined(connect, "staff", "alice")["visibility"] == "private"
    stranger = _refusal(connect, "staff", "bob")
    assert (stranger.name, stranger.message) == ("ForbiddenError", "Room access denied")
    no_privacy = _refusal(connect, "staff", "alice", permissions={"*": ["join", "subscribe"]})
    assert no_privacy.message == 'Client not permitted to perform "privacy" in "staff"'
    no_join = _refusal(connect, "staff", "alice", permissions={"*": ["privacy"]})
    assert no_join.message == 'Client not permitted to perform "join" in "staff"'


def test_a_private_room_refuses_an_anonymous_connection(
    relaybox_emulator: Emulator, connect: Any
) -> None:
    relaybox_emulator.create_room("staff", visibility="private", members=["alice"])
    assert _refusal(connect, "staff", None).message == "Room access denied"


def test_a_removed_member_may_join_no_room_until_added_back(
    relaybox_emulator: Emulator, connect: Any
) -> None:
    relaybox_emulator.create_room("lobby", members=["alice"])
    relaybox_emulator.remove_room_member("lobby", "alice")
    assert _refusal(connect, "lobby").message == "Room access denied"  # public, all the same
    assert _joined(connect, "lobby", "bob")["visibility"] == "public"
    relaybox_emulator.add_room_member("lobby", "alice", "admin")
    assert _joined(connect, "lobby")["memberType"] == "admin"


def test_joining_keeps_a_members_type_and_makes_others_members(
    relaybox_emulator: Emulator, connect: Any
) -> None:
    relaybox_emulator.create_room("team", members={"alice": "owner"})
    assert _joined(connect, "team", "alice")["memberType"] == "owner"
    assert _joined(connect, "team", "bob")["memberType"] == "member"
    assert relaybox_emulator.room("team") == EmulatedRoom(
        room_id="team",
        uuid=relaybox_emulator.room("team").uuid,  # type: ignore[union-attr]
        visibility="public",
        room_name=None,
        members={"alice": "owner", "bob": "member"},
    )


# --- the room frames ---------------------------------------------------------------------


def test_room_create_makes_any_visibility_and_its_creator_the_owner(
    relaybox_emulator: Emulator, connect: Any
) -> None:
    async def scenario() -> None:
        async with connect("alice") as alice:
            created = await alice.request(
                "ds:client:room:create",
                {"roomId": "team:9", "visibility": "private", "roomName": "Team nine"},
            )
            assert created["visibility"] == "private"
            assert set(created) == {"id", "uuid", "visibility"}
            room = await alice.join("team:9")
            assert room.joined["memberType"] == "owner"
            assert room.joined["roomName"] == "Team nine"
            with pytest.raises(AckError, match="Room already exists"):
                await alice.request(
                    "ds:client:room:create", {"roomId": "team:9", "visibility": "public"}
                )
            with pytest.raises(AckError, match="Unsupported room type"):
                await alice.request(
                    "ds:client:room:create", {"roomId": "x", "visibility": "secret"}
                )
            with pytest.raises(AckError, match="Password is required"):
                await alice.request(
                    "ds:client:room:create", {"roomId": "y", "visibility": "protected"}
                )

    run(scenario())
    assert [w for w in relaybox_emulator.webhooks if w.event == "room:create"] == []  # no URL


def test_room_create_private_needs_the_privacy_permission(connect: Any) -> None:
    async def scenario() -> None:
        async with connect("alice", permissions={"*": ["create", "join"]}) as alice:
            with pytest.raises(AckError, match='"privacy" in "p"'):
                await alice.request(
                    "ds:client:room:create", {"roomId": "p", "visibility": "private"}
                )

    run(scenario())


def test_member_frames_follow_cores_rules(relaybox_emulator: Emulator, connect: Any) -> None:
    relaybox_emulator.create_room(
        "team", visibility="private", members={"olga": "owner", "adam": "admin", "mia": "member"}
    )

    async def scenario() -> None:
        async with connect("olga") as olga, connect("adam") as adam, connect("mia") as mia:
            assert (
                await adam.request(
                    "ds:client:room:member:add", {"roomId": "team", "clientId": "bob"}
                )
                is None
            )
            with pytest.raises(AckError, match="Operation not permitted"):
                await mia.request(
                    "ds:client:room:member:add", {"roomId": "team", "clientId": "eve"}
                )
            with pytest.raises(AckError, match="Operation permitted by owner only"):
                await adam.request(
                    "ds:client:room:member:type",
                    {"roomId": "team", "clientId": "bob", "memberType": "owner"},
                )
            with pytest.raises(AckError, match="Operation not permitted"):  # an owner's type
                await adam.request(
                    "ds:client:room:member:type",
                    {"roomId": "team", "clientId": "olga", "memberType": "member"},
                )
            await olga.request(
                "ds:client:room:member:type",
                {"roomId": "team", "clientId": "bob", "memberType": "admin"},
            )
            with pytest.raises(AckError, match="Room member is owner"):
                await adam.request(
                    "ds:client:room:member:remove", {"roomId": "team", "clientId": "olga"}
                )
            with pytest.raises(AckError, match="Room member not found"):
                await adam.request(
                    "ds:client:room:member:remove", {"roomId": "team", "clientId": "zed"}
                )
            removed = await adam.request(
                "ds:client:room:member:remove", {"roomId": "team", "clientId": "mia"}
            )
            assert isinstance(removed, str)
            with pytest.raises(AckError, match="Room not found"):
                await olga.request("ds:client:room:member:add", {"roomId": "none", "clientId": "x"})

    run(scenario())
    room = relaybox_emulator.room("team")
    assert room is not None
    assert room.members == {"olga": "owner", "adam": "admin", "bob": "admin"}


# --- the emulator's own methods, and reset ---------------------------------------------


def test_the_room_methods_refuse_bad_calls(relaybox_emulator: Emulator) -> None:
    with pytest.raises(ValueError, match="Unsupported room type"):
        relaybox_emulator.create_room("r", visibility="secret")
    with pytest.raises(ValueError, match="Password is required"):
        relaybox_emulator.create_room("r", visibility="protected")
    with pytest.raises(ValueError, match="Invalid room id"):
        relaybox_emulator.create_room("no spaces")
    with pytest.raises(ValueError, match="member types"):
        relaybox_emulator.create_room("r", members={"a": "boss"})
    relaybox_emulator.create_room("r")
    with pytest.raises(ValueError, match="Room already exists"):
        relaybox_emulator.create_room("r")
    with pytest.raises(ValueError, match="Room not found"):
        relaybox_emulator.set_room_visibility("nowhere", "private")
    with pytest.raises(ValueError, match="not a member"):
        relaybox_emulator.remove_room_member("r", "ghost")
    assert relaybox_emulator.room("nowhere") is None


def test_reset_forgets_rooms_and_their_rules(relaybox_emulator: Emulator, connect: Any) -> None:
    relaybox_emulator.create_room("staff", visibility="private")
    assert relaybox_emulator.counts()["rooms"] == 1
    relaybox_emulator.reset()
    assert relaybox_emulator.room("staff") is None
    assert _joined(connect, "staff")["visibility"] == "public"


def test_the_room_methods_work_from_the_emulators_own_loop() -> None:
    async def scenario() -> None:
        async with Emulator(API_KEY) as emulator:
            emulator.create_room("team:7", visibility="authorized")
            token = RelayBox(API_KEY).generate_token_response(client_id="alice")
            from relaybox_integrations.emulator import RealtimeClient

            async with RealtimeClient(emulator.url, token=token) as alice:
                with pytest.raises(AckError, match="jwt must be provided"):
                    await alice.join("team:7")

    run(scenario())
