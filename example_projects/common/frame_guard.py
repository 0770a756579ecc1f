"""No other site may show the examples' pages in a frame (clickjacking).

A page that frames the home page could lay its own buttons over ours and have the visitor
click "log out" or "Send" unknowingly. Every answer therefore carries CSP's
``frame-ancestors 'none'``, and ``X-Frame-Options: DENY`` for browsers that predate it.
One wrapper per interface, around the whole application, so that no page can miss them:
:func:`wsgi` for Django and Flask under gunicorn, :class:`ASGI` for the ASGI examples.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable, MutableMapping
from typing import Any

HEADERS = {
    "Content-Security-Policy": "frame-ancestors 'none'",
    "X-Frame-Options": "DENY",
}
_RAW_HEADERS = [(name.lower().encode(), value.encode()) for name, value in HEADERS.items()]

WSGIApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]
Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]


def wsgi(app: WSGIApp) -> WSGIApp:
    """``app`` with :data:`HEADERS` added to every answer."""

    def guarded(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        def start(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
            return start_response(status, [*headers, *HEADERS.items()], exc_info)

        return app(environ, start)

    return guarded


class ASGI:
    """ASGI middleware adding :data:`HEADERS` to every HTTP answer."""

    def __init__(self, app: Callable[[Scope, Receive, Send], Awaitable[None]]) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_guarded(message: Message) -> None:
            if message["type"] == "http.response.start":
                message = {**message, "headers": [*message.get("headers", ()), *_RAW_HEADERS]}
            await send(message)

        await self.app(scope, receive, send_guarded)
