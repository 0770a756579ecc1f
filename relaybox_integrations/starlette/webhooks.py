"""Relaybox webhooks in Starlette: :class:`RelayBoxWebhooks` and its routes, reading the
ASGI messages straight, with no Request on the way."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, TypeVar

from starlette.requests import ClientDisconnect, Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route
from starlette.types import Receive, Scope, Send

from ..errors import ConfigurationError
from ..flow import EndpointResponse
from ..webhooks import WEBHOOK_SIGNATURE_HEADER, WebhookEndpoint, WebhookEvent, event_names
from .bridge import awaitable_hook, to_response

__all__ = ["RelayBoxWebhooks", "relaybox_webhook_routes"]

_SIGNATURE_HEADER = WEBHOOK_SIGNATURE_HEADER.lower().encode()

Handler = TypeVar("Handler", bound=Callable[..., Any])


class RelayBoxWebhooks:
    """The configured webhook endpoint, for :func:`relaybox_webhook_routes` and FastAPI.

    ``options`` are :class:`~relaybox_integrations.WebhookEndpoint`'s (``signing_key=``,
    ``store=``, ``tolerance=``, ``max_body_size=``). Register handlers with :meth:`on`
    (``"*"`` for every event) or pass ``handlers={"room:join": joined}``; sync handlers run
    in the threadpool, async ones on the event loop. The default store holds for this
    process only: with several workers, pass an
    :class:`~relaybox_integrations.AsyncRedisWebhookStore`.
    """

    __slots__ = ("endpoint",)

    def __init__(
        self,
        *,
        handlers: Mapping[str, Callable[[WebhookEvent], Any]] | None = None,
        **options: Any,
    ) -> None:
        #: The core's endpoint, configured.
        self.endpoint = WebhookEndpoint(**options)
        for event, handler in (handlers or {}).items():
            self.on(event)(handler)

    def __repr__(self) -> str:
        return f"RelayBoxWebhooks({self.endpoint!r})"

    def on(self, *events: str) -> Callable[[Handler], Handler]:
        """Register the decorated ``handler(event)`` for ``events`` (``"*"``: every event)."""
        event_names(events)  # an empty or malformed registration fails here, not when used

        def register(handler: Handler) -> Handler:
            call = awaitable_hook("handler", handler)
            assert call is not None
            self.endpoint.on(*events)(call)
            return handler

        return register

    async def respond(self, request: Request) -> Response:
        """The webhook endpoint's full answer to ``request``."""
        return to_response(await self._answer(request.scope, request.receive))

    async def _answer(self, scope: Scope, receive: Receive) -> EndpointResponse:
        # Straight from the ASGI messages: a Request, its Headers and its body stream cost
        # more than the verification, on an endpoint measured against a plain JSON one.
        endpoint = self.endpoint
        content_length = signature = None
        for name, value in scope["headers"]:
            if name == b"content-length":
                content_length = value.decode("latin-1")
            elif name == _SIGNATURE_HEADER:
                signature = value.decode("latin-1")
        refused = endpoint.reject_before_reading(scope["method"], content_length)
        if refused is not None:
            return refused
        body = await endpoint.receive_asgi_body(receive)
        if body is None:
            raise ClientDisconnect()
        return await endpoint.ahandle("POST", body, signature)


class _WebhookApp:
    __slots__ = ("webhooks",)

    def __init__(self, webhooks: RelayBoxWebhooks) -> None:
        self.webhooks = webhooks

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        answer = await self.webhooks._answer(scope, receive)
        await send(
            {
                "type": "http.response.start",
                "status": answer.status,
                "headers": [
                    (b"content-length", b"%d" % len(answer.body)),
                    *((name.encode(), value.encode()) for name, value in answer.headers),
                ],
            }
        )
        await send({"type": "http.response.body", "body": answer.body})


def relaybox_webhook_routes(
    webhooks: RelayBoxWebhooks | None = None,
    *,
    path: str = "/relaybox/webhooks",
    name: str = "relaybox_webhooks",
    **options: Any,
) -> list[BaseRoute]:
    """Routes receiving Relaybox webhooks at ``path``: pass ``webhooks`` or its options.

    POST only (other methods get the JSON 405). Starlette has no CSRF protection to exempt
    it from; the signature authenticates Relaybox's call.
    """
    if webhooks is None:
        webhooks = RelayBoxWebhooks(**options)
    elif options:
        raise ConfigurationError(
            next(iter(options)), "pass either webhooks= or its options, not both"
        )
    return [Route(path, _WebhookApp(webhooks), name=name)]
