"""What every adapter's contract test needs, framework-free: the users, the options, answers.

Each framework's harness (``django_harness``, ``flask_harness``, ``starlette_harness``) builds
an application with :class:`Options` and lets the ``X-Test-User`` header pick the
framework's user from :data:`USERS`: a stand-in for a session login, which the example tests
do for real through each example's form.
"""

from __future__ import annotations

import urllib.parse
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Protocol

USER_HEADER = "X-Test-User"
UUID = uuid.UUID("12345678-1234-5678-1234-567812345678")


class User:
    """A logged-in user as frameworks present them: ``is_authenticated`` and an ``id``."""

    is_authenticated = True

    def __init__(self, user_id: object) -> None:
        self.id = user_id


class OldStyleUser:
    """``is_authenticated`` written as a method, as old code did: always truthy."""

    id = "old-style"

    def is_authenticated(self) -> bool:
        return True


class UnflaggedUser:
    """No ``is_authenticated`` at all, but a name: not logged in."""

    username = "guest"


class Untouchable:
    """A user that fails the test if the endpoint looks at it (OPTIONS, 405)."""

    def __getattr__(self, name: str) -> Any:
        raise AssertionError(f"the endpoint looked at the user ({name}) for this request")


#: X-Test-User -> the framework's user.
USERS: dict[str, Any] = {
    "alice": User("alice"),
    "seven": User(7),
    "uuid": User(UUID),
    "no-id": User(None),
    "old-style": OldStyleUser(),
    "unflagged": UnflaggedUser(),
    "untouchable": Untouchable(),
}


def maybe_async(hook: Callable[..., Any], is_async: bool) -> Callable[..., Any]:
    """``hook`` itself, or an ``async def`` doing the same when ``is_async``."""
    if not is_async:
        return hook

    async def async_hook(*args: Any) -> Any:
        return hook(*args)

    return async_hook


def user_of(key: str | None) -> Any:
    """The user ``X-Test-User: key`` logs in, or None."""
    return None if key is None else USERS.get(key)


@dataclass
class Options:
    """One configuration of the endpoint, in every framework's terms."""

    allow_anonymous: bool = False
    #: ``user -> client id``, standing in for the framework's identity hook or loader.
    identity: Callable[[Any], Any] | None = None
    #: ``client_id -> permissions``, standing in for the framework's permissions hook.
    permissions: Callable[[str | None], Any] | None = None
    #: ``(request, user, client_id, room_id) -> verdict``: the framework's ``can_join_room``
    #: hook (the room access endpoint).
    can_join_room: Callable[[Any, Any, str, str], Any] | None = None
    #: Hooks written as ``async def`` (frameworks that accept them).
    async_hooks: bool = False
    #: Audit calls, each the dict of fields the framework's mechanism delivered.
    audit: list[dict[str, Any]] = field(default_factory=list)


@dataclass
class Answer:
    """One HTTP answer, whatever client produced it."""

    status: int
    headers: dict[str, str]
    body: bytes

    @classmethod
    def of(cls, response: Any, body: bytes) -> Answer:
        """Any test client's ``response``: its status, its headers (names lower-cased), ``body``."""
        headers = {name.lower(): value for name, value in response.headers.items()}
        return cls(response.status_code, headers, body)

    def json(self) -> Any:
        import json

        return json.loads(self.body)


#: Sends one request: ``send(method, user=key, headers=..., params=..., json=..., data=...)``.
Send = Callable[..., Answer]
#: Sends one request to the room access endpoint for a room id (quoted into the path as it
#: is): ``send(room_id, method, user=key, headers=..., params=..., json=..., data=...)``.
RoomSend = Callable[..., Answer]
#: Sends one request to the webhook endpoint: ``deliver(method, body, headers)``.
Deliver = Callable[[str, bytes, dict[str, str]], Answer]
#: The contract's webhook handlers: event name ("*" for every event) -> handler(event).
Handlers = dict[str, Callable[[Any], Any]]
WEBHOOK_SIGNING_KEY = "whsec-contract-suite-signing-key-0123456789"


class Harness(Protocol):
    """Builds one adapter's application and a way to send it requests."""

    name: str

    def build(self, options: Options) -> Send: ...

    def build_room_access(self, options: Options) -> RoomSend: ...

    def build_webhooks(self, handlers: Handlers) -> Deliver: ...


def room_path(prefix: str, room_id: str, suffix: str = "/access") -> str:
    """The room access endpoint's path for ``room_id``, percent-encoded as a browser's
    ``encodeURIComponent`` would (so ``/`` reaches the endpoint as part of the id)."""
    return f"{prefix}/rooms/{urllib.parse.quote(room_id, safe='')}{suffix}"
