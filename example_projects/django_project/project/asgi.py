"""ASGI entry point: ``uvicorn project.asgi:application`` (async views throughout).

The package's ``get_asgi_application`` is Django's, except that it reads no more of a webhook
delivery than the endpoint's size limit (Django's own reads a whole body before any view).

Django answers HTTP only, and raises on any other connection (a traceback in the log and a
500 for a WebSocket upgrade). This project has no WebSocket of its own: the browser's
realtime connection goes to Relaybox's service, not here. So an upgrade is refused the way
ASGI provides, with a close before accepting it (the server answers 403), and never reaches
Django.
"""

import os
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

from relaybox_integrations.django.asgi import get_asgi_application

# This example's own settings, whatever the calling environment (a test run) says.
os.environ["DJANGO_SETTINGS_MODULE"] = "project.settings_asgi"

Scope = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[MutableMapping[str, Any]]]
Send = Callable[[MutableMapping[str, Any]], Awaitable[None]]

django_application = get_asgi_application()  # its settings put ../common on sys.path
import frame_guard  # noqa: E402 - shared by the examples

guarded_application = frame_guard.ASGI(django_application)  # no framing by other sites


async def application(scope: Scope, receive: Receive, send: Send) -> None:
    if scope["type"] == "websocket":
        await receive()  # websocket.connect
        await send({"type": "websocket.close", "code": 1008})
        return
    await guarded_application(scope, receive, send)
