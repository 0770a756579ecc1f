"""Fixtures for the webhook tests: a real Redis server, stores, and Relaybox-shaped payloads.

Redis is Debian's ``redis-server``, started once per session on a free loopback port with a
temporary directory and no persistence; it is never a shared system service. CI installs it
(``.ci/run``); where it is missing the fixture fails and says so, rather than skipping.
"""

from __future__ import annotations

import datetime
import shutil
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import redis

from relaybox_integrations import InMemoryWebhookStore, RedisWebhookStore, WebhookStore
from tests.support.servers import free_port

#: A signing key for tests only; Relaybox's dashboard shows a webhook's real one.
SIGNING_KEY = "whsec-test-signing-key-for-the-test-suite-0123456789"


def iso(moment: datetime.datetime) -> str:
    """``moment`` as JavaScript's toISOString() writes it, as Relaybox's timestamps are."""
    utc = moment.astimezone(datetime.timezone.utc)
    return utc.strftime("%Y-%m-%dT%H:%M:%S.") + f"{utc.microsecond // 1000:03d}Z"


def relaybox_payload(
    event_id: str = "3b0c6a8e-5f7e-4d0b-9a61-2f1c8e7d4a90",
    *,
    event: str = "room:publish",
    data: Any = None,
    timestamp: datetime.datetime | None = None,
) -> dict[str, Any]:
    """A payload shaped as Relaybox's webhook service builds it (a room:publish by default).

    Fields in its order, ``{id, event, data, session, timestamp}``; the session as its
    realtime server reduces it, with ``user`` null for a connection without an
    authenticated user.
    """
    now = timestamp or datetime.datetime.now(datetime.timezone.utc)
    if data is None:
        data = {
            "id": "f47ac10b-58cc-4372-a567-0e02b2c3d479",
            "body": {"text": "Hello from the lobby \U0001f44b"},
            "roomId": "chat:lobby",
            "timestamp": 1764643200123,
            "event": "message",
        }
    return {
        "id": event_id,
        "event": event,
        "data": data,
        "session": {
            "appPid": "a1b2c3d4e5f6",
            "keyId": "k9y8x7w6v5u4",
            "clientId": "user-1234",
            "connectionId": "a1b2c3d4e5f6:user-1234",
            "socketId": "2b7e1516-28ae-4d2a-a6f7-15880988cf4f",
            "timestamp": iso(now - datetime.timedelta(minutes=3)),
            "exp": int(now.timestamp()) + 600,
            "user": None,
        },
        "timestamp": iso(now),
    }


@pytest.fixture(scope="session")
def redis_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    server = shutil.which("redis-server")
    if server is None:
        pytest.fail(
            "redis-server is not installed: the Redis store is tested against a real server "
            "(sudo apt-get install redis-server; .ci/run installs it)"
        )
    port = free_port()
    directory: Path = tmp_path_factory.mktemp("redis")
    command = [
        server,
        "--bind", "127.0.0.1",
        "--port", str(port),
        "--dir", str(directory),
        "--save", "",
        "--appendonly", "no",
        "--daemonize", "no",
        "--logfile", str(directory / "redis.log"),
    ]  # fmt: skip
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)
    url = f"redis://127.0.0.1:{port}/0"
    try:
        client = redis.Redis.from_url(url)
        deadline = time.monotonic() + 20
        while True:
            if process.poll() is not None:
                log = (directory / "redis.log").read_text(errors="replace")
                pytest.fail(f"redis-server exited with {process.returncode}:\n{log}")
            try:
                client.ping()
                break
            except redis.ConnectionError:
                if time.monotonic() > deadline:
                    pytest.fail("redis-server did not answer within 20 s")
                time.sleep(0.05)
        client.close()
        yield url
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@pytest.fixture
def redis_client(redis_url: str) -> Iterator[redis.Redis]:
    client = redis.Redis.from_url(redis_url)
    client.flushdb()
    yield client
    client.flushdb()
    client.close()


@pytest.fixture(params=["memory", "redis"])
def store(request: pytest.FixtureRequest) -> WebhookStore:
    """Each sync store the endpoint is tested with."""
    if request.param == "memory":
        return InMemoryWebhookStore()
    client: redis.Redis = request.getfixturevalue("redis_client")
    return RedisWebhookStore(client)
