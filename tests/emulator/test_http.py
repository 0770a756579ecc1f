"""``POST /core/events`` checked as relaybox/core checks it, the refusals at the WebSocket
upgrade, CORS, and the services the emulator does not have."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import time
from typing import Any

import httpx
import jwt
import pytest

from relaybox_integrations import PublishError, RelayBox
from relaybox_integrations.emulator import Emulator

from .conftest import API_KEY, run

SECRET = API_KEY.split(":")[1]


def _post(emulator: Emulator, body: bytes, **headers: str) -> httpx.Response:
    return httpx.post(f"{emulator.core_url}/events", content=body, headers=headers)


def _signed(body: bytes, secret: str = SECRET) -> dict[str, str]:
    signature = hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
    return {"X-Ds-Public-Key": "demo-app.demo-key", "X-Ds-Req-Signature": signature}


def _body(**fields: Any) -> bytes:
    message = {
        "event": "e",
        "roomId": "r",
        "data": {"a": 1},
        "timestamp": int(time.time() * 1000),
        "options": {},
    }
    return json.dumps({**message, **fields}).encode()


def test_server_publish_reaches_subscribers(relaybox_emulator: Emulator, connect: Any) -> None:
    async def scenario() -> None:
        async with connect("alice") as alice:
            room = await alice.join("news")
            await room.subscribe("update")
            publisher = RelayBox(API_KEY, core_url=relaybox_emulator.core_url)
            result = await publisher.apublish("news", "update", {"n": 1}, client_id="editor")
            await publisher.aclose()
            [message] = await room.wait_for_messages("update")
            assert message["id"] == result.request_id
            assert message["sender"] == {"clientId": "editor", "connectionId": None, "user": None}

    run(scenario())
    [delivered] = relaybox_emulator.messages("news")
    assert (delivered.connection_id, delivered.client_id) == (None, "editor")


def test_no_content_type_is_needed(relaybox_emulator: Emulator) -> None:
    body = _body()
    response = _post(relaybox_emulator, body, **_signed(body))
    assert response.status_code == 200, response.text
    assert response.json()["timestamp"] == json.loads(body)["timestamp"]


@pytest.mark.parametrize(
    ("headers", "status", "reason"),
    [
        ({}, 400, "Public key and signature headers are required"),
        ({"X-Ds-Public-Key": "demo-app.demo-key"}, 400, "headers are required"),
        ({"X-Ds-Public-Key": "other.key", "X-Ds-Req-Signature": "00"}, 500, "unknown public key"),
        ({"X-Ds-Public-Key": "demo-app.demo-key", "X-Ds-Req-Signature": "00"}, 500, "HMAC"),
    ],
)
def test_header_and_signature_refusals(
    relaybox_emulator: Emulator, headers: dict[str, str], status: int, reason: str
) -> None:
    response = _post(relaybox_emulator, _body(), **headers)
    assert response.status_code == status
    assert reason in response.json()["message"]
    assert SECRET not in response.text


def test_old_timestamps_and_missing_permission_are_refused() -> None:
    with Emulator(API_KEY, permissions={"open": ["publish"], "*": ["join"]}) as emulator:
        old = _body(timestamp=int(time.time() * 1000) - 31_000)
        response = _post(emulator, old, **_signed(old))
        assert response.status_code == 500
        assert response.reason_phrase == "Bad Request"  # relaybox/core's status line
        assert "30 s" in response.json()["message"]
        closed = _body(roomId="closed")
        response = _post(emulator, closed, **_signed(closed))
        assert "do not allow 'publish' in 'closed'" in response.json()["message"]
        with RelayBox(API_KEY, core_url=emulator.core_url) as publisher:
            publisher.publish("open", "e", 1)
            with pytest.raises(PublishError, match="500"):
                publisher.publish("closed", "e", 1)
        assert [m.room_id for m in emulator.messages()] == ["open"]


def _claims(**overrides: Any) -> dict[str, Any]:
    now = int(time.time())
    claims = {
        "publicKey": "demo-app.demo-key",
        "timestamp": "2026-01-01T00:00:00.000Z",
        "tokenType": "id_token",
        "clientId": "alice",
        "iat": now,
        "exp": now + 900,
        "iss": "https://relaybox.net",
    }
    return {**claims, **overrides}


@pytest.mark.parametrize(
    ("token", "reason"),
    [
        (jwt.encode(_claims(), "another-secret-of-enough-length-000000"), "signature"),
        (jwt.encode(_claims(iss="https://example.com"), SECRET), "issuer"),
        (jwt.encode(_claims(tokenType="access_token"), SECRET), "token type"),
        (jwt.encode(_claims(exp=int(time.time()) - 10), SECRET), "expired"),
        (jwt.encode(_claims(publicKey="other.key"), SECRET), "public key"),
        ("not-a-token", "malformed"),
    ],
)
def test_tokens_are_refused_at_the_upgrade(
    relaybox_emulator: Emulator, token: str, reason: str
) -> None:
    response = httpx.get(
        relaybox_emulator.core_url,
        params={"token": token, "expiresIn": "900"},
        headers={
            "Connection": "Upgrade",
            "Upgrade": "websocket",
            "Sec-WebSocket-Version": "13",
            "Sec-WebSocket-Key": "dGhlIHNhbXBsZSBub25jZQ==",
        },
    )
    assert response.status_code == 500  # as relaybox/core answers a refused upgrade
    assert reason in response.json()["message"]


def test_cors_preflight_for_history(relaybox_emulator: Emulator) -> None:
    response = httpx.options(
        f"{relaybox_emulator.core_url}/history/r/messages",
        headers={
            "Origin": "http://localhost:8000",
            "Access-Control-Request-Method": "GET",
            "Access-Control-Request-Headers": "authorization,content-type",
        },
    )
    assert response.status_code == 204
    assert response.headers["Access-Control-Allow-Origin"] == "*"
    assert "Authorization" in response.headers["Access-Control-Allow-Headers"]


def test_history_needs_a_valid_token(relaybox_emulator: Emulator) -> None:
    url = f"{relaybox_emulator.core_url}/history/r/messages"
    assert httpx.get(url).status_code == 401
    response = httpx.get(url, headers={"Authorization": "Bearer nope"})
    assert response.status_code == 401
    assert response.headers["Access-Control-Allow-Origin"] == "*"


@pytest.mark.parametrize(
    ("path", "feature"),
    [
        ("/auth/users/me", "auth service"),
        ("/core/rooms", "room list"),
        ("/core/rooms0", "room list"),
    ],
)
def test_missing_services_say_so(relaybox_emulator: Emulator, path: str, feature: str) -> None:
    response = httpx.get(f"{relaybox_emulator.url}{path}")
    assert response.status_code == 501
    assert feature in response.json()["message"]


def test_deleting_a_history_message_says_the_emulator_lacks_it(
    relaybox_emulator: Emulator,
) -> None:
    response = httpx.delete(f"{relaybox_emulator.url}/state/messages/some-id")
    assert response.status_code == 501
    assert "deleting messages from a room's history" in response.json()["message"]


def test_localhost_answers_on_ipv4_and_ipv6(relaybox_emulator: Emulator) -> None:
    for host in ("127.0.0.1", "[::1]"):
        response = httpx.get(f"http://{host}:{relaybox_emulator.port}/auth")
        assert response.status_code == 501


def test_large_server_publishes_reach_subscribers_whole(
    relaybox_emulator: Emulator, connect: Any
) -> None:
    """Over 64 KiB the pushed frame takes the 8-byte length form; over HTTP nothing refuses
    such a body (relaybox/core limits only WebSocket frames)."""

    async def scenario() -> None:
        async with connect("alice") as alice:
            room = await alice.join("big")
            await room.subscribe("blob")
            for size in (10, 1_000, 100_000):
                body = _body(roomId="big", event="blob", data="x" * size)
                response = await asyncio.to_thread(_post, relaybox_emulator, body, **_signed(body))
                assert response.status_code == 200, response.text
            received = await room.wait_for_messages("blob", count=3)
            assert [len(m["body"]) for m in received] == [10, 1_000, 100_000]

    run(scenario())
