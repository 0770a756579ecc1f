"""What every part of the emulator shares: the shapes of frames and errors on the wire, the
clocks they are stamped with, and the log they are written to."""

from __future__ import annotations

import datetime
import json
import logging
import time
from typing import Any, Protocol

from aiohttp import WSMsgType

__all__ = [
    "CATCH_ALL",
    "JSON",
    "PRESENCE_EVENTS",
    "AckError",
    "PresenceTable",
    "Refused",
    "Socket",
    "http_error",
    "iso_now",
    "logger",
    "ms_now",
    "text_frame",
]

logger = logging.getLogger("relaybox_integrations.emulator")

#: The event a room's catch-all subscription binds.
CATCH_ALL = "$:subscribe:all"
PRESENCE_EVENTS = ("join", "leave", "update")
JSON = json.JSONEncoder(separators=(",", ":"), ensure_ascii=False)

#: room id -> connection id -> the presence member it stored: read by metrics, written by
#: presence and by a connection's end.
PresenceTable = dict[str, dict[str, dict[str, Any]]]


class Socket(Protocol):
    """What the hub needs of a WebSocket: aiohttp's ``WebSocketResponse`` fits."""

    @property
    def closed(self) -> bool: ...

    async def send_frame(
        self, message: bytes, opcode: WSMsgType, compress: int | None = None
    ) -> None: ...


class Refused(Exception):
    """An upgrade refused: the reason is shown to the developer, never a secret."""


class AckError(Exception):
    """A frame answered with an acknowledgement error ``{name, message}``."""

    def __init__(self, message: str, name: str = "Error") -> None:
        super().__init__(message)
        self.name, self.message = name, message


def text_frame(payload: bytes) -> bytes:
    """A final, unmasked WebSocket text frame (RFC 6455 section 5.2) holding ``payload``."""
    length = len(payload)
    if length < 126:
        header = bytes((0x81, length))
    elif length < 1 << 16:
        header = bytes((0x81, 126)) + length.to_bytes(2, "big")
    else:
        header = bytes((0x81, 127)) + length.to_bytes(8, "big")
    return header + payload


def iso_now() -> str:
    """Now as JavaScript's ``toISOString()`` writes it, as relaybox/core stamps events."""
    now = datetime.datetime.now(datetime.timezone.utc)
    return now.strftime("%Y-%m-%dT%H:%M:%S.") + f"{now.microsecond // 1000:03d}Z"


def ms_now() -> int:
    """Milliseconds since the epoch, as relaybox/core stamps messages."""
    return int(time.time() * 1000)


def http_error(status: int, name: str, message: str) -> dict[str, Any]:
    """An HTTP error body as Relaybox's services write them."""
    return {"statusCode": status, "name": name, "message": message}
