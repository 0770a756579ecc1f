"""Connections' identities: the emulated application, each connection's session, and the
checks at the WebSocket upgrade that open one (relaybox/core's with the auth service's)."""

from __future__ import annotations

import asyncio
import collections
import hmac
import secrets
from collections.abc import Callable, Iterator, Mapping
from typing import Any

from ..core import ApiKey, RelayBox
from ..errors import TokenVerificationError
from ..permissions import Permissions
from ._wire import AckError, Refused, Socket, iso_now

__all__ = ["App", "Session", "Sessions", "WebhookHook"]

WebhookHook = Callable[[str, Any, "dict[str, Any]"], None]


class Session:
    """One connection's identity and state; it outlives its socket for a reconnect."""

    __slots__ = (
        "client_id",
        "connection_id",
        "destroy_handle",
        "exp",
        "leave_handle",
        "permissions",
        "rooms",
        "sent",
        "socket",
        "socket_id",
        "subscriptions",
        "timestamp",
        "transport",
    )

    def __init__(
        self, connection_id: str, client_id: str | None, permissions: Permissions, exp: int | None
    ) -> None:
        self.connection_id = connection_id
        self.client_id = client_id
        self.permissions = permissions
        self.exp = exp
        self.timestamp = iso_now()
        self.socket: Socket | None = None
        #: The socket's connection, which fan-out writes whole frames to.
        self.transport: asyncio.Transport | None = None
        self.socket_id = ""
        #: room id -> when it was joined
        self.rooms: dict[str, str] = {}
        #: topic -> room id
        self.subscriptions: dict[str, str] = {}
        self.sent: collections.deque[float] = collections.deque()
        self.leave_handle: asyncio.TimerHandle | None = None
        self.destroy_handle: asyncio.TimerHandle | None = None

    @property
    def uid(self) -> str:
        return self.client_id or self.connection_id

    def require_joined(self, room_id: str) -> None:
        """relaybox/core's room-member guard: the connection must have joined ``room_id``."""
        if room_id not in self.rooms:
            raise AckError("Client not active in room")

    def require_client_id(self) -> str:
        """The connection's clientId; presence refuses a connection without one."""
        if not self.client_id:
            raise AckError("No client id provided")
        return self.client_id

    def cancel_timers(self) -> None:
        for handle in (self.leave_handle, self.destroy_handle):
            if handle is not None:
                handle.cancel()
        self.leave_handle = self.destroy_handle = None


class App:
    """The emulated application: its identity, and where its webhook events go."""

    __slots__ = ("_on_webhook", "app_pid", "key_id")

    def __init__(self, app_pid: str, key_id: str, on_webhook: WebhookHook) -> None:
        self.app_pid, self.key_id, self._on_webhook = app_pid, key_id, on_webhook

    def nsp(self, room_id: str) -> str:
        """The room's namespaced id, which its topics start with."""
        return f"{self.app_pid}:{room_id}"

    def webhook(self, event: str, data: Any, session: Session) -> None:
        """Send the webhook ``event`` for what ``session`` did."""
        self._on_webhook(
            event,
            data,
            {
                "appPid": self.app_pid,
                "keyId": self.key_id,
                "clientId": session.client_id,
                "connectionId": session.connection_id,
                "socketId": session.socket_id,
                "timestamp": session.timestamp,
                "exp": session.exp,
                "user": None,
            },
        )


class Sessions:
    """Every session by connectionId, and the upgrade checks that open or resume one."""

    def __init__(
        self, relaybox: RelayBox, api_key: ApiKey, permissions: Permissions, app_pid: str
    ) -> None:
        self._relaybox = relaybox
        self._api_key = api_key
        self._permissions = permissions
        self._app_pid = app_pid
        self._by_id: dict[str, Session] = {}

    def __iter__(self) -> Iterator[Session]:
        return iter(list(self._by_id.values()))

    def __len__(self) -> int:
        return len(self._by_id)

    def forget(self, session: Session) -> None:
        self._by_id.pop(session.connection_id, None)

    def keep_open(self) -> None:
        """Forget every session without a socket (a reset)."""
        self._by_id = {k: s for k, s in self._by_id.items() if s.socket is not None}

    def authenticate(self, query: Mapping[str, str]) -> Session:
        """The session for an upgrade's query, or :class:`Refused` saying why not."""

        def param(name: str) -> str | None:
            value = query.get(name)
            return None if value in (None, "", "undefined") else value

        token, api_key = param("token"), param("apiKey")
        exp: int | None = None
        if token is not None:
            try:
                claims = self._relaybox.verify_token(token)
            except TokenVerificationError as exc:
                raise Refused(f"token refused: {exc}") from None
            client_id = claims.get("clientId")
            exp = claims.get("exp")
            inline = claims.get("permissions")
            permissions: Permissions = inline if inline else self._permissions
        elif api_key is not None:
            public_key, _, secret = api_key.partition(":")
            if public_key != self._api_key.public_key or not hmac.compare_digest(
                secret.encode(), self._api_key.secret.encode()
            ):
                raise Refused("apiKey refused: it is not this emulator's API key")
            client_id = param("clientId")
            permissions = self._permissions
        else:
            raise Refused("no token in the query: connect with ?token=... (or ?apiKey=...)")
        connection_id = param("connectionId")
        session = self._by_id.get(connection_id) if connection_id else None
        if session is not None:  # a reconnect: the new token's identity and permissions count
            session.client_id, session.permissions, session.exp = client_id, permissions, exp
            return session
        if connection_id is None:
            anonymous = "" if client_id else "__a__"
            connection_id = f"{self._app_pid}:{anonymous}{secrets.token_urlsafe(9)[:12]}"
        session = Session(connection_id, client_id, permissions, exp)
        self._by_id[connection_id] = session
        return session
