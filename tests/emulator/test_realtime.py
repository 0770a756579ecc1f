"""The realtime protocol against the project's Python client: rooms, fan-out, presence,
metrics, history, permissions and limits."""

from __future__ import annotations

from typing import Any

import pytest

from relaybox_integrations.emulator import AckError, Emulator

from .conftest import run


def test_connect_join_bind_publish_fan_out(relaybox_emulator: Emulator, connect: Any) -> None:
    async def scenario() -> None:
        async with connect("alice") as alice, connect("bob") as bob:
            assert alice.client_id == "alice"
            assert alice.connection_id.startswith("demo-app:")
            room_a = await alice.join("chat:lobby")
            room_b = await bob.join("chat:lobby")
            assert room_a.nsp_room_id == "demo-app:chat:lobby"
            await room_b.subscribe("message")
            sent = await room_a.publish("message", {"text": "hi"})
            assert sent["body"] == {"text": "hi"}
            assert sent["sender"] == {"clientId": "alice", "connectionId": alice.connection_id}
            [received] = await room_b.wait_for_messages("message")
            assert received == sent
            assert room_a.messages() == []  # alice bound nothing
            await room_a.leave()

    run(scenario())
    [delivered] = relaybox_emulator.messages("chat:lobby", "message")
    assert (delivered.data, delivered.client_id) == ({"text": "hi"}, "alice")
    assert relaybox_emulator.wait_for_message("chat:lobby", "message") == delivered


def test_catch_all_and_unbind(connect: Any) -> None:
    async def scenario() -> None:
        async with connect("alice") as alice, connect("bob") as bob:
            room = await alice.join("r")
            listener = await bob.join("r")
            await listener.subscribe()  # every event
            await room.publish("one", 1)
            await room.publish("two", 2)
            assert [m["body"] for m in await listener.wait_for_messages(count=2)] == [1, 2]
            frames = bob.frames("demo-app:r::$:subscribe:all")
            assert [f["event"] for f in frames] == ["one", "two"]
            await listener.unsubscribe()
            await room.publish("three", 3)
            await listener.subscribe("four")
            await room.publish("four", 4)
            await listener.wait_for_messages("four")
            assert [m["body"] for m in listener.messages()] == [1, 2, 4]

    run(scenario())


def test_bind_needs_a_joined_room_and_unknown_rooms_are_refused(connect: Any) -> None:
    async def scenario() -> None:
        async with connect("alice") as alice:
            with pytest.raises(AckError, match="Client not active in room"):
                await alice.request(
                    "ds:client:room:subscription:bind", {"roomId": "r", "event": "e"}
                )
            with pytest.raises(AckError, match="Invalid room id"):
                await alice.join("no spaces")

    run(scenario())


def test_leave_is_acknowledged_as_the_client_sends_it(connect: Any) -> None:
    async def scenario() -> None:
        async with connect("alice") as alice:
            await alice.join("r")
            assert await alice.request("ds:client:room:leave", {"roomId": "r"}) == "demo-app:r"
            assert (
                await alice.request("ds:client:room:presence:unsubscribe:all", {"roomId": "r"})
                is True
            )
            assert (
                await alice.request(
                    "ds:client:room:metrics:unsubscribe", {"roomId": "r", "event": "all"}
                )
                == "demo-app:r:$:metrics:all"
            )

    run(scenario())


def test_presence(connect: Any) -> None:
    async def scenario() -> None:
        async with connect("alice") as alice, connect("bob") as bob:
            watcher = await bob.join("r")
            await watcher.presence.subscribe()
            room = await alice.join("r")
            await room.presence.enter({"name": "Alice"})
            [joined] = await watcher.presence.wait_for("join")
            assert joined["clientId"] == "alice"
            assert joined["data"] == {"name": "Alice"}
            assert "connectionId" not in joined
            await room.presence.update({"name": "Al"})
            await watcher.presence.wait_for("update")
            [member] = await watcher.presence.get()
            assert member["clientId"] == "alice"
            assert member["data"] == {"name": "Al"}
            assert member["connectionId"] == alice.connection_id
            assert await watcher.presence.count() == 1
            await room.presence.leave()
            await watcher.presence.wait_for("leave")
            assert await watcher.presence.get() == []
            with pytest.raises(AckError, match="not member of presence set"):
                await room.presence.update({"late": True})

    run(scenario())


def test_presence_needs_a_client_id(connect: Any) -> None:
    async def scenario() -> None:
        async with connect(None) as anonymous:
            assert "__a__" in anonymous.connection_id
            room = await anonymous.join("r")
            with pytest.raises(AckError, match="No client id provided"):
                await room.presence.enter()

    run(scenario())


def test_metrics_follow_joins(connect: Any) -> None:
    async def scenario() -> None:
        async with connect("alice") as alice, connect("bob") as bob:
            await alice.join("r")
            topic = await alice.request(
                "ds:client:room:metrics:subscribe", {"roomId": "r", "event": "all"}
            )
            assert topic == "demo-app:r:$:metrics:all"
            await bob.join("r")
            [counts] = await alice.wait_for_frames(topic)
            assert counts["connection"] == 2

    run(scenario())


def test_history_pages(connect: Any) -> None:
    async def scenario() -> None:
        async with connect("alice") as alice:
            room = await alice.join("r")
            for number in range(5):
                await room.publish("n", number)
            await room.publish("n", "not kept", transient=True)
            page = await room.history(limit=2)
            assert [item["body"] for item in page["items"]] == [4, 3]
            page = await room.history(nextPageToken=page["nextPageToken"])
            assert [item["body"] for item in page["items"]] == [2, 1]
            page = await room.history(nextPageToken=page["nextPageToken"])
            assert [item["body"] for item in page["items"]] == [0]
            assert page["nextPageToken"] is None
            oldest = await room.history(order="asc", limit=1)
            assert oldest["items"][0]["body"] == 0

    run(scenario())


def test_permissions_with_room_patterns(connect: Any) -> None:
    permissions = {"chat:*": ["join", "create", "subscribe"], "chat:open": ["*"]}

    async def scenario() -> None:
        async with connect("alice", permissions=permissions) as alice:
            room = await alice.join("chat:a:b")  # a pattern's last segment covers the rest
            with pytest.raises(AckError, match='not permitted to perform "publish" in "chat:a:b"'):
                await room.publish("e", 1)
            open_room = await alice.join("chat:open")
            await open_room.publish("e", 1)
            with pytest.raises(AckError, match='"create" in "other"'):
                await alice.join("other")

    run(scenario())


def test_the_keys_own_permissions_apply_without_inline_ones() -> None:
    async def scenario(emulator: Emulator) -> None:
        from relaybox_integrations import RelayBox
        from relaybox_integrations.emulator import RealtimeClient

        token = RelayBox(emulator_key).generate_token_response(client_id="a")
        async with RealtimeClient(emulator.url, token=token) as client:
            room = await client.join("news")
            with pytest.raises(AckError, match='"publish" in "news"'):
                await room.publish("e", 1)

    from .conftest import API_KEY as emulator_key

    with Emulator(emulator_key, permissions={"news": ["join", "create"]}) as emulator:
        run(scenario(emulator))


def test_rate_limit_is_an_ack_error(connect: Any) -> None:
    async def scenario() -> None:
        async with connect("alice") as alice, connect("bob") as bob:
            room = await alice.join("r")
            for number in range(29):  # the join counted as one
                await room.publish("e", number)
            with pytest.raises(AckError, match="Rate limit exceeded"):
                await room.publish("e", "one too many")
            other = await bob.join("r")  # other connections are not limited
            await other.publish("e", "fine")

    run(scenario())


def test_frames_over_64_kib_are_ack_errors(connect: Any) -> None:
    async def scenario() -> None:
        async with connect("alice") as alice:
            room = await alice.join("r")
            with pytest.raises(AckError, match="Message is too large"):
                await room.publish("e", "x" * (64 * 1024))
            await room.publish("e", "x" * 60_000)  # the connection still works

    run(scenario())


def test_bad_frames_never_break_the_connection(connect: Any) -> None:
    async def scenario() -> None:
        async with connect("alice") as alice:
            room = await alice.join("r")
            assert alice._ws is not None
            for junk in ("not json", "[1, 2]", '"text"', "{}", '{"type": 5, "ackId": "x"}'):
                await alice._ws.send_str(junk)
            await alice._ws.send_bytes(b"\x00\x01")
            with pytest.raises(AckError, match="unknown message type 'ds:client:nope'"):
                await alice.request("ds:client:nope", {})
            with pytest.raises(AckError, match="does not support intellect"):
                await alice.request("ds:client:room:intellect:subscribe", {"roomId": "r"})
            await room.publish("e", "still here")

    run(scenario())


def test_reconnect_with_the_same_connection_id_restores_rooms(
    relaybox_emulator: Emulator, connect: Any
) -> None:
    async def scenario() -> None:
        async with connect("alice") as alice, connect("bob") as bob:
            listener = await bob.join("r")
            await listener.subscribe("e")
            first_id = bob.connection_id
            room = await alice.join("r")
            await asyncio.to_thread(relaybox_emulator.disconnect, "bob")
            await bob.wait_connected(2)
            assert bob.connection_id == first_id
            await room.publish("e", "after the drop")
            [message] = await listener.wait_for_messages("e")
            assert message["body"] == "after the drop"

    import asyncio

    run(scenario())


def test_presence_leaves_five_seconds_after_a_drop(
    relaybox_emulator: Emulator, connect: Any
) -> None:
    async def scenario() -> None:
        async with connect("alice") as alice:
            watcher = await alice.join("r")
            await watcher.presence.subscribe()
            bob = connect("bob")
            bob._reconnect = False
            await bob.connect()
            room = await bob.join("r")
            await room.presence.enter()
            await watcher.presence.wait_for("join")
            await bob.close()
            [leave] = await watcher.presence.wait_for("leave", timeout=30)
            assert leave["clientId"] == "bob"
            assert leave["connectionId"] == bob.connection_id
            assert await watcher.presence.get() == []

    run(scenario())


def test_the_same_connection_id_twice_moves_the_session(
    relaybox_emulator: Emulator, connect: Any
) -> None:
    async def scenario() -> None:
        first = connect("alice")
        first._reconnect = False
        await first.connect()
        room = await first.join("r")
        await room.subscribe("e")
        second = connect("alice")
        second.connection_id = first.connection_id
        async with second:
            assert second.connection_id == first.connection_id
            await first._reader  # the server closed the first socket
            moved = await second.join("r")
            await moved.publish("e", "to the second socket")
            await moved.wait_for_messages("e")
            assert relaybox_emulator.counts()["sessions"] == 1
        await first.close()

    run(scenario())


#: Every frame type the official client 3.0.1 can send (its ClientEvent enum).
CLIENT_EVENTS = [
    f"ds:client:{name}"
    for name in (
        "publish",
        "room:join",
        "room:leave",
        "room:create",
        "room:subscription:bind",
        "room:subscription:unbind",
        "room:presence:subscribe",
        "room:presence:unsubscribe",
        "room:presence:unsubscribe:all",
        "room:presence:join",
        "room:presence:leave",
        "room:presence:update",
        "room:presence:get",
        "room:presence:count",
        "room:metrics:subscribe",
        "room:metrics:unsubscribe",
        "room:password:update",
        "room:member:add",
        "room:member:remove",
        "room:member:type",
        "room:history:get",
        "room:intellect:subscribe",
        "room:intellect:unsubscribe",
        "room:intellect:unsubscribe:all",
        "auth:user:subscribe",
        "auth:user:unsubscribe",
        "auth:user:unsubscribe:all",
        "auth:user:status:update",
    )
]
MALFORMED_BODIES: list[Any] = [
    {},
    {"roomId": 5, "event": ["e"]},
    {"roomId": "r", "event": None, "limit": "ten", "userData": {"deep": [1, {"x": None}]}},
    {"roomId": "r" * 5000, "event": "e" * 5000, "data": None, "opts": "transient"},
    {"roomId": "r", "event": "join", "visibility": 7, "limit": -1, "opts": {"transient": 1}},
]


def test_every_frame_with_an_ack_id_is_answered_whatever_its_body(connect: Any) -> None:
    async def scenario() -> None:
        failures: list[tuple[str, Any, str]] = []
        async with connect("alice") as alice:
            await alice.join("r")
            for kind in CLIENT_EVENTS:
                for body in MALFORMED_BODIES:
                    try:
                        await alice.request(kind, body, timeout=10)
                    except AckError as error:
                        failures.append((kind, body, error.name))
            assert [f for f in failures if f[2] == "InternalError"] == []
            await alice.join("still-working")

    run(scenario())
