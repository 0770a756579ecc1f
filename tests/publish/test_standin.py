"""The stand-in checks requests as Relaybox's service does, and runs as a process too."""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import subprocess
import sys
import time

import httpx
import pytest

from relaybox_integrations import RelayBox
from tests.support.events_standin import (
    BAD_REQUEST,
    INTERNAL_ERROR,
    EventsStandin,
    match_room_permissions,
)
from tests.support.servers import ROOT, TEST_API_KEY, TEST_SECRET


def signed(body: bytes, secret: str = TEST_SECRET) -> dict[str, str]:
    return {
        "X-Ds-Public-Key": "testapp.testkey",
        "X-Ds-Req-Signature": hmac.new(secret.encode(), body, hashlib.sha256).hexdigest(),
    }


def body(timestamp: float, **fields: object) -> bytes:
    message = {"event": "e", "roomId": "chat:1", "data": 1, "timestamp": timestamp, "options": {}}
    return json.dumps({**message, **fields}, ensure_ascii=False).encode()


def now_ms() -> int:
    return int(time.time() * 1000)


@pytest.mark.parametrize(
    "headers",
    [{}, {"X-Ds-Public-Key": "testapp.testkey"}, {"X-Ds-Req-Signature": "ab"},
     {"X-Ds-Public-Key": "", "X-Ds-Req-Signature": "ab"}],
)  # fmt: skip
def test_a_missing_header_is_a_400(standin: EventsStandin, headers: dict[str, str]) -> None:
    response = httpx.post(standin.url + "/events", content=body(now_ms()), headers=headers)
    assert response.status_code == 400
    assert response.json() == BAD_REQUEST


def test_what_the_service_refuses_with_500(standin: EventsStandin) -> None:
    good = body(now_ms())
    upper = {**signed(good), "X-Ds-Req-Signature": signed(good)["X-Ds-Req-Signature"].upper()}
    nan = body(now_ms()).replace(b'"data": 1', b'"data": NaN')
    invalid_utf8 = body(now_ms(), data="\xff").replace("ÿ".encode(), b"\xff")
    room_list = body(now_ms(), roomId=["chat:1"])
    cases = [
        (good, upper, "signature"),  # the service compares lowercase hex with ===
        (nan, signed(nan), "json"),  # JSON.parse has no NaN
        (invalid_utf8, signed(invalid_utf8), "signature"),  # it signs the decoded text
        (b"null", signed(b"null"), "json"),
        (room_list, signed(room_list), "room id"),
    ]
    for content, headers, refusal in cases:
        response = httpx.post(standin.url + "/events", content=content, headers=headers)
        assert response.status_code == 500
        assert response.reason_phrase == "Bad Request"  # sic: the service's status line
        assert response.json() == INTERNAL_ERROR
        assert standin.requests[-1].refusal == refusal
    assert standin.published == []


def test_what_the_service_accepts(standin: EventsStandin) -> None:
    for content in (
        body(now_ms() + 3_600_000),  # only the past is checked
        body(now_ms(), options=None),  # options ?? {}
        body(now_ms(), data="é \U0001f600"),  # UTF-8 decodes and encodes back unchanged
    ):
        response = httpx.post(standin.url + "/events", content=content, headers=signed(content))
        assert response.status_code == 200, standin.requests[-1].refusal
        assert response.headers["content-type"] == "application/json"
        reply = response.json()
        assert set(reply) == {"requestId", "timestamp"}
    assert len(standin.published) == 3


PATTERNS = {"chat:*": ["publish"], "chat:*:123": ["subscribe"], "news": ["subscribe"]}


@pytest.mark.parametrize(
    ("room", "permissions", "allowed"),
    [
        ("news", PATTERNS, ["subscribe"]),
        ("chat:1", PATTERNS, ["publish"]),
        ("chat:1:2", PATTERNS, ["publish"]),  # a shorter pattern's last part covers the rest
        ("chat", PATTERNS, None),  # a pattern longer than the room never matches
        ("lobby", PATTERNS, None),
        ("lobby", {**PATTERNS, "*": ["*"]}, ["*"]),
        ("chat:9:123", {"chat:*:123": ["join"], "chat:*": ["publish"]}, ["join"]),  # first match
        ("chat:1", {"chat:*": ["publish"], "1": ["join"]}, ["publish"]),
        ("1", {"chat:*": ["publish"], "1": ["join"]}, ["join"]),
        ("anything", ["subscribe", "publish"], ["subscribe", "publish"]),
    ],
)
def test_permission_matching(
    room: str, permissions: dict[str, list[str]] | list[str], allowed: list[str] | None
) -> None:
    assert match_room_permissions(room, permissions) == allowed


def test_as_a_process_for_servers_pointed_at_it(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("RELAYBOX_API_KEY", TEST_API_KEY)
    env = dict(os.environ)
    process = subprocess.Popen(
        [sys.executable, "-m", "tests.support.events_standin", "--port", "0"],
        cwd=ROOT, env=env, stdout=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        assert process.stdout is not None
        line = process.stdout.readline()
        assert line.startswith("listening on http://127.0.0.1:")
        url = line.split()[-1]
        monkeypatch.setenv("RELAYBOX_CORE_URL", url)
        with RelayBox.from_env() as relaybox:
            httpx.post(url + "/_standin/faults", json=[{"kind": "status", "status": 503}])
            result = relaybox.publish("chat:1", "message", {"text": "hi"}, client_id=1)
        published = httpx.get(url + "/_standin/published").json()
        assert published == [
            {
                "publicKey": "testapp.testkey", "roomId": "chat:1", "event": "message",
                "data": {"text": "hi"}, "clientId": "1", "transient": None,
                "timestamp": result.timestamp, "requestId": result.request_id,
            }
        ]  # fmt: skip
        requests = httpx.get(url + "/_standin/requests").json()
        assert [r["status"] for r in requests if r["path"] == "/events"] == [503, 200]
        assert httpx.get(url + "/_standin/stats").json()["published"] == 1
        httpx.post(url + "/_standin/reset")
        assert httpx.get(url + "/_standin/published").json() == []
    finally:
        process.terminate()
        process.wait(timeout=15)
        if process.stdout is not None:
            process.stdout.close()
