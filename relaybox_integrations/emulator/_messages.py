"""Messages: publishing to a room from a client (``ds:client:publish``) or a server
(``POST /core/events``), and fanning each message out to the room's subscribers."""

from __future__ import annotations

import hmac
import json
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from ..core import ApiKey, RelayBox
from ..permissions import Permissions
from ._checks import check_permission, event_of, permitted, room_id_of
from ._history import History
from ._session import App, Session
from ._topics import Topics
from ._wire import CATCH_ALL, http_error, logger, ms_now

__all__ = ["DeliveredMessage", "Listener", "Messages"]


@dataclass(frozen=True)
class DeliveredMessage:
    """One message the emulator fanned out to a room (from a client or ``POST /events``)."""

    room_id: str
    event: str
    data: Any
    #: The sender's identity; None for a connection without one or a server publish without
    #: ``client_id``.
    client_id: str | None
    #: The sending connection; None for a server publish (``POST /core/events``).
    connection_id: str | None
    id: str
    #: Milliseconds since the epoch.
    timestamp: int
    transient: bool = False
    #: The frame's body as subscribers received it.
    body: dict[str, Any] = field(repr=False, default_factory=dict)


Listener = Callable[[DeliveredMessage], None]


def _refused(reason: str) -> tuple[int, dict[str, Any]]:
    """relaybox/core's answer to every refused ``POST /events``, with the reason it keeps to
    itself: the emulator adds it to the body and its log."""
    logger.info("POST /events refused: %s", reason)
    return 500, http_error(500, "InternalServerError", reason)


class Messages:
    """Both ways of publishing, and the fan-out, history and record they share."""

    def __init__(
        self,
        app: App,
        topics: Topics,
        history: History,
        relaybox: RelayBox,
        api_key: ApiKey,
        permissions: Permissions,
        on_message: Listener,
    ) -> None:
        self._app, self._topics, self._history = app, topics, history
        self._relaybox, self._api_key, self._permissions = relaybox, api_key, permissions
        self._on_message = on_message

    async def publish(self, session: Session, body: dict[str, Any]) -> Any:
        """``ds:client:publish``: only the ``publish`` permission counts, as in core."""
        room_id, event = room_id_of(body), event_of(body)
        check_permission(session.permissions, room_id, "publish")
        options = body.get("opts")
        transient = isinstance(options, dict) and bool(options.get("transient"))
        message = {
            "id": str(uuid.uuid4()),
            "body": body.get("data"),
            "sender": {"clientId": session.client_id, "connectionId": session.connection_id},
            "timestamp": ms_now(),
            "event": event,
        }
        logger.info("publish %s %s by %s", room_id, event, session.connection_id)
        await self.dispatch(room_id, message, transient)
        if not transient:
            self._app.webhook(
                "room:publish",
                {
                    "id": message["id"],
                    "body": message["body"],
                    "roomId": room_id,
                    "timestamp": message["timestamp"],
                    "event": event,
                },
                session,
            )
        return message

    async def dispatch(self, room_id: str, message: dict[str, Any], transient: bool) -> None:
        """Fan ``message`` out to the event's and the room's catch-all subscribers."""
        nsp = self._app.nsp(room_id)
        self._topics.fan_out([f"{nsp}::{message['event']}", f"{nsp}::{CATCH_ALL}"], message)
        if not transient:
            self._history.add(room_id, message)
        sender = message["sender"]
        self._on_message(
            DeliveredMessage(
                room_id=room_id,
                event=message["event"],
                data=message["body"],
                client_id=sender.get("clientId"),
                connection_id=sender.get("connectionId"),
                id=message["id"],
                timestamp=message["timestamp"],
                transient=transient,
                body=message,
            )
        )

    async def server_publish(
        self, public_key: str | None, signature: str | None, raw: bytes
    ) -> tuple[int, dict[str, Any]]:
        """``POST /core/events`` checked as relaybox/core checks it: the status and body."""
        if not public_key or not signature:
            return 400, http_error(
                400, "BadRequestError", "Public key and signature headers are required"
            )
        if public_key != self._api_key.public_key:
            return _refused(
                f"unknown public key {public_key!r}; this emulator's key is "
                f"{self._api_key.public_key!r}"
            )
        if not hmac.compare_digest(
            self._relaybox._publisher().signature(raw).encode(), signature.encode()
        ):
            return _refused(
                "X-Ds-Req-Signature is not the HMAC-SHA256 of the body under the API key's secret"
            )
        try:
            request = json.loads(raw)
        except ValueError:
            return _refused("the body is not JSON")
        if not isinstance(request, dict):
            return _refused("the body is not a JSON object")
        room_id, event, sent_at = (
            request.get("roomId"),
            request.get("event"),
            request.get("timestamp"),
        )
        options = request.get("options") or {}
        if not isinstance(room_id, str) or not room_id or not isinstance(event, str) or not event:
            return _refused("the body needs string 'roomId' and 'event'")
        if not isinstance(sent_at, (int, float)) or isinstance(sent_at, bool):
            return _refused("the body needs a numeric 'timestamp' (milliseconds)")
        if ms_now() - sent_at > 30_000:
            return _refused("the timestamp is more than 30 s old (check this machine's clock)")
        if not isinstance(options, dict):
            return _refused("'options' must be an object")
        if not permitted(self._permissions, room_id, "publish"):
            return _refused(f"the API key's permissions do not allow 'publish' in {room_id!r}")
        sender: dict[str, Any] = {"connectionId": None, "user": None}
        if options.get("clientId") is not None:
            sender = {"clientId": options["clientId"], **sender}
        request_id = str(uuid.uuid4())
        message = {
            "id": request_id,
            "body": request.get("data"),
            "sender": sender,
            "timestamp": ms_now(),
            "event": event,
        }
        logger.info("publish %s %s over HTTP", room_id, event)
        await self.dispatch(room_id, message, bool(options.get("transient")))
        return 200, {"requestId": request_id, "timestamp": sent_at}
