"""The capture helper for users' own tests: nothing sent, everything recorded and checked."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import subprocess
import sys
import textwrap
import threading
from pathlib import Path

import pytest

from relaybox_integrations import PublishRequestError, RelayBox
from relaybox_integrations.testing import CapturedPublish, PublishOutbox, capture_publishes
from tests.support.events_standin import EventsStandin
from tests.support.publish_check import node_check_publishes
from tests.support.servers import TEST_API_KEY, TEST_SECRET


def test_capture_records_instead_of_sending(relaybox: RelayBox, standin: EventsStandin) -> None:
    with capture_publishes() as outbox:
        built_inside = RelayBox(TEST_API_KEY, core_url=standin.url)
        first = relaybox.publish("chat:1", "message", ("a", 1), client_id=7)
        second = built_inside.publish("chat:2", "typing", None, transient=True)
    assert standin.requests == []
    assert isinstance(outbox, PublishOutbox)
    assert [(p.room_id, p.event, p.data, p.client_id, p.transient) for p in outbox] == [
        ("chat:1", "message", ["a", 1], "7", False),
        ("chat:2", "typing", None, None, True),
    ]
    assert [p.request_id for p in outbox] == [first.request_id, second.request_id]
    assert [p.timestamp for p in outbox] == [first.timestamp, second.timestamp]
    assert outbox[0].public_key == "testapp.testkey"
    assert "body" not in repr(outbox[0])
    # The bodies are what would have been sent: Node reads them in the official shape.
    node_check_publishes([(p.body, sign(p)) for p in outbox], TEST_SECRET)
    relaybox.publish("chat:1", "after", 1)  # sent again once the capture is over
    assert len(standin.published) == 1


def sign(captured: CapturedPublish) -> str:
    return hmac.new(TEST_SECRET.encode(), captured.body, hashlib.sha256).hexdigest()


def test_bad_arguments_still_raise(relaybox: RelayBox) -> None:
    with capture_publishes() as outbox, pytest.raises(PublishRequestError) as raised:
        relaybox.publish("chat:1", "message", {"n": float("nan")})
    assert raised.value.argument == "data"
    assert outbox == []


def test_apublish_and_other_threads_are_captured(
    relaybox: RelayBox, standin: EventsStandin
) -> None:
    async def main() -> None:
        await relaybox.apublish("chat:1", "async", 1)

    with capture_publishes() as outbox:
        asyncio.run(main())
        thread = threading.Thread(target=relaybox.publish, args=("chat:1", "thread", 2))
        thread.start()
        thread.join()
    assert [p.event for p in outbox] == ["async", "thread"]
    assert standin.requests == []


def test_captures_nest(relaybox: RelayBox) -> None:
    with capture_publishes() as outer:
        relaybox.publish("r", "one", 1)
        with capture_publishes() as inner:
            relaybox.publish("r", "two", 2)
        relaybox.publish("r", "three", 3)
    assert [p.event for p in outer] == ["one", "two", "three"]
    assert [p.event for p in inner] == ["two"]


def test_the_fixture(relaybox_outbox: PublishOutbox, relaybox: RelayBox) -> None:
    relaybox.publish("chat:1", "message", "hi")
    assert [(p.room_id, p.data) for p in relaybox_outbox] == [("chat:1", "hi")]


def test_the_fixture_is_there_for_users_without_configuration(tmp_path: Path) -> None:
    """Installed packages register the fixture with pytest; a user's test needs no conftest."""
    (tmp_path / "test_user.py").write_text(
        textwrap.dedent(f"""
        from relaybox_integrations import RelayBox

        def test_view(relaybox_outbox):
            RelayBox({TEST_API_KEY!r}).publish("chat:1", "message", {{"text": "hi"}})
            assert relaybox_outbox[0].data == {{"text": "hi"}}
    """)
    )
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", str(tmp_path)],
        capture_output=True, text=True, cwd=tmp_path, timeout=120,
    )  # fmt: skip
    assert result.returncode == 0, result.stdout + result.stderr
    assert "1 passed" in result.stdout
