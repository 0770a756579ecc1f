"""The Django adapters under the contract: the sync view, the async view and the DRF view."""

from __future__ import annotations

import urllib.parse
from collections.abc import Callable
from typing import Any

import django
from asgiref.sync import async_to_sync, iscoroutinefunction
from django.core.cache import caches
from django.http import HttpRequest, HttpResponse
from django.test import AsyncClient, Client, override_settings

from relaybox_integrations.django import on_webhook, token_issued, webhook_received
from relaybox_integrations.webhooks import event_names
from tests.support.servers import TEST_API_KEY

from . import users

_META_KEY = "HTTP_" + users.USER_HEADER.upper().replace("-", "_")


class TestUserMiddleware:
    """``X-Test-User`` picks ``request.user``, after every other middleware looked at it."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_view(self, request: HttpRequest, *args: Any) -> None:
        if _META_KEY in request.META:
            user = users.user_of(request.META[_META_KEY])

            async def auser() -> Any:
                return user

            request.user = user  # type: ignore[assignment]
            request.auser = auser  # type: ignore[attr-defined]


class TestUserAuthentication:
    """The same stand-in as a DRF authentication class."""

    def authenticate(self, request: Any) -> tuple[Any, None] | None:
        key = request.META.get(_META_KEY)
        return None if key is None else (users.user_of(key), None)


def _relaybox_setting(options: users.Options) -> dict[str, Any]:
    setting: dict[str, Any] = {"API_KEY": TEST_API_KEY, "ALLOW_ANONYMOUS": options.allow_anonymous}
    identity, permissions = options.identity, options.permissions
    if identity is not None:
        setting["CLIENT_ID_HOOK"] = identity
    if permissions is not None:

        def hook(request: Any, user: Any, client_id: str | None) -> Any:
            return permissions(client_id)

        setting["PERMISSIONS_HOOK"] = hook
    if options.can_join_room is not None:
        setting["CAN_JOIN_ROOM_HOOK"] = options.can_join_room
    if options.async_hooks:
        for key in ("CLIENT_ID_HOOK", "PERMISSIONS_HOOK", "CAN_JOIN_ROOM_HOOK"):
            if key in setting:
                setting[key] = users.maybe_async(setting[key], True)
    return setting


def _receiver(handler: Callable[[Any], Any]) -> Callable[..., Any]:
    """A receiver for :func:`on_webhook` calling ``handler(event)``.

    Django runs async receivers from 5.0; on 4.2 an async handler is wrapped, as a project
    on 4.2 has to.
    """
    if iscoroutinefunction(handler) and django.VERSION < (5, 0):
        handler = async_to_sync(handler)
    if iscoroutinefunction(handler):

        async def async_receiver(sender: Any, event: Any, **kwargs: Any) -> None:
            await handler(event)

        return async_receiver

    def receiver(sender: Any, event: Any, **kwargs: Any) -> None:
        handler(event)

    return receiver


class DjangoHarness:
    def __init__(self, name: str, path: str, room_prefix: str, *, is_async: bool = False) -> None:
        self.name = name
        self.path = path
        #: Where the room access view is routed: ``<room_prefix>/rooms/<room_id>/access``.
        self.room_prefix = room_prefix
        self.is_async = is_async

    def build(self, options: users.Options) -> users.Send:
        return self._sender(options, self.path)

    def build_room_access(self, options: users.Options) -> users.RoomSend:
        def send(room_id: str, method: str, **kwargs: Any) -> users.Answer:
            return self._sender(options, users.room_path(self.room_prefix, room_id))(
                method, **kwargs
            )

        return send

    def _sender(self, options: users.Options, base_path: str) -> users.Send:
        setting = _relaybox_setting(options)

        def receiver(sender: Any, **fields: Any) -> None:
            fields.pop("signal")
            options.audit.append(fields)

        def send(
            method: str,
            *,
            user: str | None = None,
            headers: dict[str, str] | None = None,
            params: dict[str, str] | None = None,
            json: Any = None,
            data: bytes | dict[str, str] | None = None,
        ) -> users.Answer:
            path = base_path
            if params:
                path += "?" + urllib.parse.urlencode(params)
            all_headers = dict(headers or {})
            if user is not None:
                all_headers[users.USER_HEADER] = user
            body: Any = b""
            content_type = "application/octet-stream"
            if json is not None:
                import json as json_module

                body, content_type = json_module.dumps(json), "application/json"
            elif isinstance(data, dict):
                body, content_type = (
                    urllib.parse.urlencode(data),
                    "application/x-www-form-urlencoded",
                )
            elif data is not None:
                body = data
            content_type = all_headers.pop("Content-Type", content_type)
            with override_settings(RELAYBOX=setting):
                token_issued.connect(receiver, weak=False)
                try:
                    response = self._request(method, path, body, content_type, all_headers)
                finally:
                    token_issued.disconnect(receiver)
            return users.Answer.of(response, response.content)

        return send

    def build_webhooks(self, handlers: users.Handlers) -> users.Deliver:
        setting = {"API_KEY": TEST_API_KEY, "WEBHOOK_SIGNING_KEY": users.WEBHOOK_SIGNING_KEY}
        path = "/async/relaybox/webhooks" if self.is_async else "/relaybox/webhooks"

        receivers = [(name, _receiver(handler)) for name, handler in handlers.items()]
        caches["default"].clear()  # deliveries other tests made, with the same ids

        def deliver(method: str, body: bytes, headers: dict[str, str]) -> users.Answer:
            with override_settings(RELAYBOX=setting):
                for name, receiver in receivers:
                    on_webhook(name)(receiver)
                try:
                    response = self._request(
                        method, path, body, "application/json", headers, csrf=True
                    )
                finally:
                    for name, receiver in receivers:
                        uid = (receiver, frozenset(event_names((name,))))
                        assert webhook_received.disconnect(dispatch_uid=uid)
            return users.Answer.of(response, response.content)

        return deliver

    def _request(
        self,
        method: str,
        path: str,
        body: Any,
        content_type: str,
        headers: dict[str, str],
        *,
        csrf: bool = False,
    ) -> HttpResponse:
        """``csrf``: enforce Django's CSRF checks, which the test client skips by default."""
        if not self.is_async:
            client = Client(enforce_csrf_checks=csrf)
            return client.generic(method, path, body, content_type, headers=headers)  # type: ignore[no-any-return]

        async def on_the_event_loop() -> HttpResponse:
            client = AsyncClient(enforce_csrf_checks=csrf)
            return await client.generic(method, path, body, content_type, headers=headers)  # type: ignore[no-any-return]

        return async_to_sync(on_the_event_loop)()


def harnesses() -> list[DjangoHarness]:
    from tests.support.django_settings import HAS_DRF

    found = [
        DjangoHarness("django-wsgi", "/user/auth", "/user"),
        DjangoHarness("django-asgi", "/async/auth", "/async", is_async=True),
    ]
    if HAS_DRF:
        found.append(DjangoHarness("drf", "/drf/test-auth", "/drf/test"))
    return found
