"""The emulator's HTTP and WebSocket routes, on aiohttp, at the paths the official client uses
in offline mode: ``/core`` (WebSocket, and HTTP ``/core/events`` and ``/core/history``),
``/state`` and ``/auth``.

aiohttp was chosen by measuring it against websockets and uvicorn with Starlette for this
workload (fan-out and idle connections; see the emulator benchmark): it was as fast as
websockets, used the least memory per connection, and alone of the three serves the HTTP
routes and the WebSocket on one port without a second framework.
"""

from __future__ import annotations

import asyncio
import errno
import logging
import socket
from collections.abc import Iterable
from typing import Final

from aiohttp import WSMsgType, web

from ..errors import ConfigurationError
from ._protocol import Hub
from ._wire import Refused, http_error

__all__ = ["build_app", "close_all", "listen"]

logger = logging.getLogger("relaybox_integrations.emulator")

#: Frames over this close the connection (1009); frames over 64 KiB and under it get an
#: acknowledgement error, as relaybox/core answers them.
MAX_MESSAGE_BYTES: Final = 1024 * 1024
#: Seconds between WebSocket pings; a peer that does not answer is dropped.
HEARTBEAT: Final = 30.0
#: Seconds a close waits for the peer's closing frame: a reset between tests must not wait
#: long for a page that stopped reading.
CLOSE_TIMEOUT: Final = 2.0

_CORS = {
    "Access-Control-Allow-Origin": "*",
    "Access-Control-Allow-Headers": "Authorization, Content-Type, X-Ds-Public-Key, "
    "X-Ds-Req-Signature, X-Ds-Client-Id, X-Ds-Connection-Id",
    "Access-Control-Allow-Methods": "GET, POST, PUT, DELETE, OPTIONS",
    "Access-Control-Max-Age": "600",
}
_MISSING = {
    "messages": "deleting messages from a room's history (DELETE /state/messages/<id>, "
    "Relaybox's state service)",
    "auth": "Relaybox's auth service (its own user sign-up, sign-in and sessions); give the "
    "client an authEndpoint on your application instead",
    "rooms": "the room list (GET /core/rooms), which needs the auth service's users",
}
HUB: Final = web.AppKey("hub", Hub)
SOCKETS: Final = web.AppKey("sockets", set[web.WebSocketResponse])


def _not_implemented(feature: str) -> web.Response:
    message = f"the Relaybox emulator does not implement {_MISSING[feature]}"
    return web.json_response(http_error(501, "NotImplementedError", message), status=501)


async def _cors(request: web.Request, response: web.StreamResponse) -> None:
    response.headers.update(_CORS)


async def _preflight(request: web.Request) -> web.Response:
    return web.Response(status=204, headers=_CORS)


async def _core(request: web.Request) -> web.StreamResponse:
    hub = request.app[HUB]
    if request.headers.get("Upgrade", "").lower() != "websocket":
        # The client 3.0.1 asks for /core/rooms0 when it has no query (it writes the
        # query's size into the path), /core/rooms?... otherwise.
        if request.match_info["tail"].strip("/") in ("rooms", "rooms0"):
            return _not_implemented("rooms")
        return web.json_response(
            http_error(404, "NotFoundError", f"no route {request.method} {request.path}"),
            status=404,
        )
    try:
        session = hub.authenticate(request.query)
    except Refused as exc:
        logger.info("refused a connection: %s", exc)
        # relaybox/core answers every refused upgrade with a 500.
        return web.json_response(http_error(500, "InternalServerError", str(exc)), status=500)
    # No permessage-deflate, as relaybox/core: compressing each frame for each subscriber
    # would cost more than the loopback it saves.
    ws = web.WebSocketResponse(
        heartbeat=HEARTBEAT, max_msg_size=MAX_MESSAGE_BYTES, compress=False, timeout=CLOSE_TIMEOUT
    )
    await ws.prepare(request)
    sockets = request.app[SOCKETS]
    sockets.add(ws)
    previous = session.socket
    try:
        await hub.attach(session, ws, request.transport)  # the session's from here on
        if isinstance(previous, web.WebSocketResponse):  # the same connectionId, open twice
            await previous.close()
        async for message in ws:
            if message.type is WSMsgType.TEXT:
                await hub.receive(session, ws, message.data)
            elif message.type is WSMsgType.BINARY:
                logger.info("ignored a binary frame from %s", session.connection_id)
    finally:
        sockets.discard(ws)
        hub.detach(session, ws)
    return ws


async def _events(request: web.Request) -> web.Response:
    hub = request.app[HUB]
    raw = await request.read()  # no Content-Type required: the official library sends none
    status, body = await hub.server_publish(
        request.headers.get("X-Ds-Public-Key"), request.headers.get("X-Ds-Req-Signature"), raw
    )
    # relaybox/core writes the status line "500 Bad Request"; mirrored for the same reason.
    reason = "Bad Request" if status == 500 else None
    return web.json_response(body, status=status, reason=reason)


async def _history(request: web.Request) -> web.Response:
    status, body = request.app[HUB].history(
        request.headers.get("Authorization"), request.match_info["room"], request.query
    )
    return web.json_response(body, status=status)


async def _state(request: web.Request) -> web.Response:
    tail = request.match_info["tail"]
    if tail.startswith("/messages"):  # room.history.delete(id)
        return _not_implemented("messages")
    status, body = request.app[HUB].state(
        request.method,
        request.rel_url.raw_path[len("/state") :],
        request.headers.get("Authorization"),
        request.query,
        await request.read(),
    )
    return web.json_response(body, status=status)


async def _auth(request: web.Request) -> web.Response:
    return _not_implemented("auth")


async def _close_sockets(app: web.Application) -> None:
    sockets: set[web.WebSocketResponse] = app[SOCKETS]
    await close_all(list(sockets), 1001, b"server shutdown")


async def close_all(sockets: Iterable[object], code: int, message: bytes) -> None:
    """Close ``sockets`` together: each close may wait for its peer."""
    await asyncio.gather(
        *(
            ws.close(code=code, message=message)
            for ws in sockets
            if isinstance(ws, web.WebSocketResponse)
        )
    )


def build_app(hub: Hub) -> web.Application:
    """The aiohttp application serving ``hub``."""
    app = web.Application(client_max_size=MAX_MESSAGE_BYTES)
    app[HUB] = hub
    app[SOCKETS] = set()
    app.on_response_prepare.append(_cors)
    app.on_shutdown.append(_close_sockets)
    app.router.add_route("OPTIONS", "/{tail:.*}", _preflight)
    app.router.add_post("/core/events", _events)
    app.router.add_get("/core/history/{room}/messages", _history)
    app.router.add_get("/core{tail:.*}", _core)
    app.router.add_route("*", "/state{tail:.*}", _state)
    app.router.add_route("*", "/auth{tail:.*}", _auth)
    return app


def listen(host: str, port: int) -> list[socket.socket]:
    """Bound listening sockets for ``host`` (``localhost``: 127.0.0.1 and ::1) on one port.

    ``port`` 0 picks a free port, the same on every address. Raises
    :class:`~relaybox_integrations.ConfigurationError` naming ``port`` or ``host``.
    """
    if host == "localhost":
        addresses: list[tuple[int, str]] = [
            (socket.AF_INET, "127.0.0.1"),
            (socket.AF_INET6, "::1"),
        ]
    else:
        try:
            infos = socket.getaddrinfo(host, None, type=socket.SOCK_STREAM)
        except socket.gaierror as exc:
            raise ConfigurationError("host", f"cannot resolve host {host!r}: {exc}") from None
        addresses = list(dict.fromkeys((info[0], str(info[4][0])) for info in infos))
    for _ in range(20):  # port 0: another process may take the port on the second address
        try:
            return _bind_all(addresses, port)
        except _PortRace:
            continue
    raise ConfigurationError("port", "could not find a port free on every address of localhost")


class _PortRace(Exception):
    pass


def _bind_all(addresses: list[tuple[int, str]], port: int) -> list[socket.socket]:
    bound: list[socket.socket] = []
    try:
        for family, address in addresses:
            try:
                sock = socket.create_server(
                    (address, port), family=family, backlog=1024, dualstack_ipv6=False
                )
            except OSError as exc:
                if bound and exc.errno in (errno.EADDRNOTAVAIL, errno.EAFNOSUPPORT):
                    continue  # no IPv6 on this machine: IPv4 alone
                if exc.errno == errno.EADDRINUSE:
                    if bound and port == 0:
                        raise _PortRace from None
                    raise ConfigurationError(
                        "port",
                        f"port {port} is already in use on {address}; stop what uses it or "
                        "choose another port",
                    ) from None
                raise ConfigurationError("host", f"cannot listen on {address}: {exc}") from None
            bound.append(sock)
            if port == 0:
                port = sock.getsockname()[1]
    except BaseException:
        for sock in bound:
            sock.close()
        raise
    return bound


def display_host(host: str) -> str:
    """``host`` as it goes in a URL."""
    return f"[{host}]" if ":" in host else host
