"""Capture publishes in your own tests, with no network: Relaybox's answer to ``mail.outbox``.

.. code-block:: python

    from relaybox_integrations.testing import capture_publishes

    with capture_publishes() as outbox:
        client.post("/messages", data={"text": "hi"})   # a view that calls relaybox.publish
    assert [(p.room_id, p.event) for p in outbox] == [("chat:lobby", "message")]

While a capture is active, every ``RelayBox`` in the process (those built before it, and by
the application itself) checks and signs each publish exactly as it would for Relaybox, then
records it here instead of sending it, and returns a
:class:`~relaybox_integrations.PublishResult` as Relaybox would. A bad argument
still raises :class:`~relaybox_integrations.PublishRequestError`. Captures are process-wide,
so a live test server in another thread is captured too, and they nest: each active capture
sees every publish. With pytest, the ``relaybox_outbox`` fixture wraps a test in one.
"""

from __future__ import annotations

import contextlib
import dataclasses
import json
import threading
import uuid
from collections.abc import Iterator
from typing import Any

from . import publishing
from .transport import Request, Response

__all__ = ["CapturedPublish", "PublishOutbox", "capture_publishes"]


@dataclasses.dataclass(frozen=True)
class CapturedPublish:
    """One publish as it would have gone to Relaybox (``data`` as browsers would get it:
    decoded from the JSON body, so tuples are lists)."""

    room_id: str
    event: str
    data: Any
    #: The user the message is attributed to, as sent (a string), or None.
    client_id: str | None
    transient: bool
    #: Milliseconds since the epoch, from the ``RelayBox``'s clock.
    timestamp: int
    #: The request id handed back in the :class:`~relaybox_integrations.PublishResult`.
    request_id: str
    public_key: str
    #: The exact request body that would have been signed and sent.
    body: bytes = dataclasses.field(repr=False)


class PublishOutbox(list[CapturedPublish]):
    """The publishes captured so far, oldest first; a list, so ``clear()`` empties it."""


_lock = threading.Lock()
_active: list[PublishOutbox] = []


class _RecordingTransport:
    """Answers each publish as Relaybox would, after handing it to every active outbox."""

    def handle(self, request: Request) -> Response:
        assert request.body is not None  # a publish always has one
        message = json.loads(request.body)
        options = message["options"]
        request_id = str(uuid.uuid4())
        captured = CapturedPublish(
            room_id=message["roomId"],
            event=message["event"],
            data=message["data"],
            client_id=options.get("clientId"),
            transient=options.get("transient", False),
            timestamp=message["timestamp"],
            request_id=request_id,
            public_key=request.headers["X-Ds-Public-Key"],
            body=request.body,
        )
        with _lock:
            for outbox in _active:
                outbox.append(captured)
        answer = {"requestId": request_id, "timestamp": message["timestamp"]}
        return Response(200, json.dumps(answer).encode())

    async def handle_async(self, request: Request) -> Response:
        return self.handle(request)


_RECORDER = _RecordingTransport()


@contextlib.contextmanager
def capture_publishes() -> Iterator[PublishOutbox]:
    """Record every publish made while the block runs instead of sending it."""
    outbox = PublishOutbox()
    with _lock:
        if not _active:  # the recorder is put in once, for the outermost capture
            publishing.intercept((_RECORDER, _RECORDER))
        _active.append(outbox)
    try:
        yield outbox
    finally:
        with _lock:
            _active.remove(outbox)
            if not _active:
                publishing.intercept(None)


try:
    import pytest
except ImportError:  # pytest is optional: the context manager works without it
    pass
else:

    @pytest.fixture
    def relaybox_outbox() -> Iterator[PublishOutbox]:
        """The publishes this test made, captured instead of sent."""
        with capture_publishes() as outbox:
            yield outbox

    @pytest.fixture(scope="session")
    def relaybox_emulator_options() -> dict[str, Any]:
        """Keyword arguments for the session's :class:`~relaybox_integrations.emulator.Emulator`
        (``api_key``, ``permissions``, ``webhook_urls``...); override it in a conftest.py."""
        return {}

    @pytest.fixture(scope="session")
    def _relaybox_emulator_session(relaybox_emulator_options: dict[str, Any]) -> Iterator[Any]:
        try:  # imported here: pytest loads this plugin where the extra is not installed too
            from .emulator import Emulator
        except ImportError as exc:
            pytest.fail(f"the relaybox_emulator fixture needs the [emulator] extra: {exc}")
        with Emulator(**relaybox_emulator_options) as emulator:
            yield emulator

    @pytest.fixture
    def relaybox_emulator(_relaybox_emulator_session: Any) -> Any:
        """A local Relaybox (one per test session), emptied before each test."""
        _relaybox_emulator_session.reset()
        return _relaybox_emulator_session
