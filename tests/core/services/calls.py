"""Every state and auth service call with the request the official library sends for it.

Written from the source of ``@relaybox/rest`` (github.com/relaybox/relaybox-rest-js, commit
9ef176e, ``lib/rooms.ts``, ``lib/auth.ts`` and ``lib/request.ts``): the method, the path
after the service URL, the headers the library sets (``defaultHeaders`` is
``Content-Type: application/json``, ``request.ts:7-9``) and the body, which is
``JSON.stringify`` of an object literal, so compact and in the literal's key order.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from relaybox_integrations import RelayBox

#: What the calls authorise with: any token; the services, not this package, judge it.
AUTH_TOKEN = "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJjbGllbnRJZCI6ImFsaWNlIn0.c2lnbmF0dXJl"
PUBLIC_KEY = "testapp.testkey"
JSON_AND_BEARER = {"content-type": "application/json", "authorization": f"Bearer {AUTH_TOKEN}"}
KEY_AND_BEARER = {"x-ds-public-key": PUBLIC_KEY, "authorization": f"Bearer {AUTH_TOKEN}"}
#: Headers every HTTP client sets its own way (Node's fetch adds accept-language and
#: sec-fetch-mode too): not part of what the library asks for.
TRANSPORT_HEADERS = frozenset(
    {
        "host",
        "content-length",
        "connection",
        "accept",
        "accept-encoding",
        "accept-language",
        "sec-fetch-mode",
        "user-agent",
    }
)


@dataclass(frozen=True)
class Call:
    #: Our method on ``relaybox.rooms`` or ``relaybox.users`` (the async twin is ``a`` + it).
    client: str
    method_name: str
    args: tuple[Any, ...]
    kwargs: dict[str, Any]
    #: The official library's call (its method on a ``RelayBox``, and the arguments), and
    #: where its source is.
    official: str
    official_args: tuple[Any, ...]
    source: str
    method: str
    path: str
    headers: dict[str, str]
    body: bytes | None


CALLS = {
    "create": Call(
        "rooms", "create", ("chat:1", AUTH_TOKEN), {},
        "rooms.create", ("chat:1", AUTH_TOKEN), "lib/rooms.ts:84-112",
        "POST", "/state/rooms", JSON_AND_BEARER,
        b'{"roomId":"chat:1","roomName":null,"memberType":"member","visibility":"public",'
        b'"password":null}',
    ),
    "create with options": Call(
        "rooms", "create", ("team:7", AUTH_TOKEN),
        {"name": "Team 7 ✔", "visibility": "protected", "member_type": "owner", "password": "pw"},
        "rooms.create",
        ("team:7", AUTH_TOKEN,
         {"roomName": "Team 7 ✔", "visibility": "protected", "memberType": "owner",
          "password": "pw"}),
        "lib/rooms.ts:84-112",
        "POST", "/state/rooms", JSON_AND_BEARER,
        '{"roomId":"team:7","roomName":"Team 7 ✔","memberType":"owner","visibility":'
        '"protected","password":"pw"}'.encode(),
    ),
    "set_visibility": Call(
        "rooms", "set_visibility", ("chat:1", AUTH_TOKEN), {},
        "rooms.setVisibility", ("chat:1", AUTH_TOKEN), "lib/rooms.ts:120-144",
        "PUT", "/state/rooms/chat:1/visibility", JSON_AND_BEARER,
        b'{"visibility":"public","password":null}',
    ),
    "set_visibility private": Call(
        "rooms", "set_visibility", ("chat:1", AUTH_TOKEN), {"visibility": "private"},
        "rooms.setVisibility", ("chat:1", AUTH_TOKEN, {"visibility": "private"}),
        "lib/rooms.ts:120-144",
        "PUT", "/state/rooms/chat:1/visibility", JSON_AND_BEARER,
        b'{"visibility":"private","password":null}',
    ),
    "add_member": Call(
        "rooms", "add_member", ("chat:1", "alice", AUTH_TOKEN), {},
        "rooms.members.add", ("chat:1", "alice", AUTH_TOKEN), "lib/rooms.ts:153-171",
        "POST", "/state/rooms/chat:1/members", JSON_AND_BEARER,
        b'{"roomId":"chat:1","clientId":"alice"}',
    ),
    "remove_member": Call(
        "rooms", "remove_member", ("chat:1", "alice", AUTH_TOKEN), {},
        "rooms.members.delete", ("chat:1", "alice", AUTH_TOKEN), "lib/rooms.ts:180-192",
        "DELETE", "/state/rooms/chat:1/members/alice",
        {"authorization": f"Bearer {AUTH_TOKEN}"},  # defaultHeaders commented out there
        None,
    ),
    "set_member_type": Call(
        "rooms", "set_member_type", ("chat:1", "alice", "admin", AUTH_TOKEN), {},
        "rooms.members.setMemberType", ("chat:1", "alice", "admin", AUTH_TOKEN),
        "lib/rooms.ts:202-226",
        "PUT", "/state/rooms/chat:1/members/alice", JSON_AND_BEARER,
        b'{"roomId":"chat:1","clientId":"alice","memberType":"admin"}',
    ),
    "get_user": Call(
        "users", "get_user", ("alice", AUTH_TOKEN), {},
        "auth.getUser", ("alice", AUTH_TOKEN), "lib/auth.ts:26-40",
        "GET", "/auth/users/alice", KEY_AND_BEARER, None,
    ),
    "get_user_identity": Call(
        "users", "get_user_identity", (AUTH_TOKEN, "github"), {},
        "auth.getUserIdentity", (AUTH_TOKEN, "github"), "lib/auth.ts:47-61",
        "GET", "/auth/identity?provider=github", KEY_AND_BEARER, None,
    ),
}  # fmt: skip

MODES = ["sync", "async"]


def invoke(mode: str, relaybox: RelayBox, call: Call) -> Any:
    """Make ``call`` through ``relaybox``, with the sync method or its async twin."""
    client = getattr(relaybox, call.client)
    if mode == "sync":
        return getattr(client, call.method_name)(*call.args, **call.kwargs)
    method: Callable[..., Any] = getattr(client, "a" + call.method_name)

    async def main() -> Any:
        try:
            return await method(*call.args, **call.kwargs)
        finally:
            await relaybox.aclose()

    return asyncio.run(main())


def semantic_headers(headers: dict[str, str]) -> dict[str, str]:
    """``headers`` less those each HTTP client sets its own way."""
    return {name: value for name, value in headers.items() if name not in TRANSPORT_HEADERS}
