"""Relaybox webhooks for Django: a view to route, a signal to receive, the cache to deduplicate.

.. code-block:: python

    RELAYBOX = {..., "WEBHOOK_SIGNING_KEY": os.environ["RELAYBOX_WEBHOOK_SIGNING_KEY"]}
    urlpatterns = [path("relaybox/webhooks", WebhookView.as_view())]

    @on_webhook("room:join")
    def joined(sender, event, **kwargs): ...

The view is exempt from CSRF (the signature authenticates Relaybox's server-to-server call)
and from ``LoginRequiredMiddleware``. Deliveries are deduplicated through Django's cache
(``RELAYBOX["WEBHOOK_CACHE"]``, default ``"default"``): use a shared backend such as Redis
when several processes or machines serve the view, since ``LocMemCache`` is per process.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any, TypeVar

import django
from asgiref.sync import iscoroutinefunction
from django.core.exceptions import ImproperlyConfigured
from django.http import HttpRequest, HttpResponse
from django.views import View
from django.views.decorators.csrf import csrf_exempt

from ..webhooks import WEBHOOK_SIGNATURE_HEADER, WebhookEvent, event_names
from .integration import ASYNC_RECEIVERS_NEED, get_integration
from .signals import webhook_received
from .stores import CacheWebhookStore
from .views import exempt_from_login_required, to_django

__all__ = ["AsyncWebhookView", "CacheWebhookStore", "WebhookView", "on_webhook"]

Receiver = TypeVar("Receiver", bound=Callable[..., Any])


def on_webhook(*events: str) -> Callable[[Receiver], Receiver]:
    """Connect the decorated receiver to
    :data:`~relaybox_integrations.django.signals.webhook_received` for ``events`` only.

    ``@on_webhook("room:join", "room:leave")``, or ``@on_webhook("*")`` for every event;
    receivers take ``(sender, event, **kwargs)``, may be ``async def`` (Django 5.0+, whose
    signals run them), and raise to have Relaybox retry the delivery.
    """
    names = frozenset(event_names(events))
    every = None in names

    def connect(receiver: Receiver) -> Receiver:
        if iscoroutinefunction(receiver) and django.VERSION < (5, 0):
            name = getattr(receiver, "__qualname__", repr(receiver))
            raise ImproperlyConfigured(f"{name}: {ASYNC_RECEIVERS_NEED}")
        if iscoroutinefunction(receiver):

            async def filtered(sender: Any, event: WebhookEvent, **kwargs: Any) -> Any:
                if every or event.event in names:
                    return await receiver(sender, event=event, **kwargs)
                return None

        else:

            def filtered(sender: Any, event: WebhookEvent, **kwargs: Any) -> Any:  # type: ignore[misc]
                if every or event.event in names:
                    return receiver(sender, event=event, **kwargs)
                return None

        functools.update_wrapper(filtered, receiver)
        webhook_received.connect(filtered, weak=False, dispatch_uid=(receiver, names))
        return receiver

    return connect


def _body_stream(request: HttpRequest) -> Any:
    """Where to read the body from; None when it cannot be read.

    Django's WSGI request reads Content-Length bytes, so none of a chunked body (one sent
    without Content-Length). A WSGI server that sets ``wsgi.input_terminated`` (gunicorn
    does) ends its input where such a body ends, so it is read from there; under any other
    it cannot be, and the endpoint says so (411) rather than take it for an empty body.
    Under ASGI, Django has read the whole body, whatever its framing.
    """
    meta = request.META
    if "wsgi.input" not in meta or meta.get("CONTENT_LENGTH"):
        return request
    if "HTTP_TRANSFER_ENCODING" not in meta:
        return request  # no body
    return meta["wsgi.input"] if meta.get("wsgi.input_terminated") else None


class WebhookView(View):
    """POST: a Relaybox webhook delivery, verified, deduplicated and sent as a signal."""

    @classmethod
    def as_view(cls, **initkwargs: Any) -> Callable[..., Any]:
        return exempt_from_login_required(csrf_exempt(super().as_view(**initkwargs)))

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> Any:
        endpoint = self.endpoint()
        stream = _body_stream(request)
        refused = endpoint.reject_before_reading(
            request.method or "",
            request.META.get("CONTENT_LENGTH") or None,
            body_delimited=stream is not None,
        )
        if refused is not None:  # a stream of None is always refused (411, or 405)
            return self.reply(to_django(refused))
        # At most one byte over the limit: enough to tell an oversized chunked body.
        body = stream.read(endpoint.max_body_size + 1)
        return self.answer(body, request.headers.get(WEBHOOK_SIGNATURE_HEADER))

    def endpoint(self) -> Any:
        return get_integration().require_webhooks().endpoint

    def reply(self, response: HttpResponse) -> Any:
        return response

    def answer(self, body: bytes, signature: str | None) -> Any:
        return to_django(self.endpoint().handle("POST", body, signature))


class AsyncWebhookView(WebhookView):
    """:class:`WebhookView` for ASGI: async receivers awaited, the cache's async methods."""

    view_is_async = True

    def endpoint(self) -> Any:
        return get_integration().require_webhooks().async_endpoint

    def reply(self, response: HttpResponse) -> Any:
        async def answer() -> HttpResponse:
            return response

        return answer()

    async def answer(self, body: bytes, signature: str | None) -> HttpResponse:
        return to_django(await self.endpoint().ahandle("POST", body, signature))
