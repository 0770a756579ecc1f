"""Django's ASGI application, reading no more of a webhook delivery than the endpoint takes.

.. code-block:: python

    # asgi.py, instead of django.core.asgi.get_asgi_application
    from relaybox_integrations.django.asgi import get_asgi_application

    application = get_asgi_application()

Django's ASGI handler reads a request's whole body before any view runs, so a webhook view
can refuse an oversized delivery (413) only once all of it has arrived, however large. This
handler reads a POST to a :class:`~relaybox_integrations.django.webhooks.WebhookView` itself,
up to the endpoint's ``max_body_size``, answers 413 at once past it, and hands Django the body
it read; every other request is Django's, untouched.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from typing import Any

import django
from django.conf import settings
from django.core.handlers.asgi import ASGIHandler as DjangoASGIHandler
from django.urls import Resolver404, resolve

from ..webhooks import WebhookEndpoint
from .views import to_django
from .webhooks import WebhookView

__all__ = ["ASGIHandler", "get_asgi_application"]

Receive = Callable[[], Awaitable[Mapping[str, Any]]]


class ASGIHandler(DjangoASGIHandler):
    """Django's ASGI handler, stopping at the size limit of webhook deliveries."""

    async def handle(self, scope: Any, receive: Any, send: Any) -> None:
        endpoint = self._webhook_endpoint(scope)
        if endpoint is None:
            await super().handle(scope, receive, send)
            return
        content_length = None
        for name, value in scope["headers"]:
            if name == b"content-length":
                content_length = value.decode("latin-1")
        refused = endpoint.reject_before_reading("POST", content_length)
        if refused is None:
            body = await endpoint.receive_asgi_body(receive)
            if body is None:
                return  # the client left; Django's own handler stops there too
            refused = endpoint.reject_before_reading("POST", len(body))
            if refused is None:
                await super().handle(scope, _replaying(body, receive), send)
                return
        await self.send_response(to_django(refused), send)

    def _webhook_endpoint(self, scope: Any) -> WebhookEndpoint | None:
        """The endpoint of the webhook view a POST is routed to, if it is routed to one."""
        if scope["type"] != "http" or scope["method"] != "POST":
            return None
        # The path the URL resolver sees, found as Django's ASGIRequest finds it.
        prefix = settings.FORCE_SCRIPT_NAME or scope.get("root_path", "")
        path_info = scope["path"].removeprefix(prefix) if prefix else scope["path"]
        try:
            view = resolve(path_info).func
        except Resolver404:
            return None
        view_class = getattr(view, "view_class", None)
        if not (isinstance(view_class, type) and issubclass(view_class, WebhookView)):
            return None
        endpoint: WebhookEndpoint = view_class(**getattr(view, "view_initkwargs", {})).endpoint()
        return endpoint


def _replaying(body: bytes, receive: Receive) -> Receive:
    """``receive`` with the body already read given back first, as one message."""
    replayed = False

    async def replay() -> Mapping[str, Any]:
        nonlocal replayed
        if replayed:
            return await receive()
        replayed = True
        return {"type": "http.request", "body": body, "more_body": False}

    return replay


def get_asgi_application() -> ASGIHandler:
    """:func:`django.core.asgi.get_asgi_application`, with this handler."""
    django.setup(set_prefix=False)
    return ASGIHandler()
