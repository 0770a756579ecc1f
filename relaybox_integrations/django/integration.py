"""What the Django views, command and accessors share, built once from ``RELAYBOX``.

Built on first use after the system checks' own validation passes, kept for the process,
and dropped when Django's ``setting_changed`` signal names ``RELAYBOX``
(``override_settings`` in tests), so requests never re-parse the key.
"""

from __future__ import annotations

import inspect
import threading
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from asgiref.sync import async_to_sync, iscoroutinefunction, sync_to_async
from django.core.checks import CheckMessage
from django.core.checks import Warning as CheckWarning
from django.core.exceptions import ImproperlyConfigured
from django.core.signals import setting_changed
from django.dispatch import Signal
from django.views.decorators.debug import sensitive_variables

from ..config import options_for
from ..core import RelayBox
from ..endpoint import AuthEndpoint
from ..errors import ConfigurationError, ShortSecretWarning
from ..keys import user_stacklevel
from ..room_access import RoomAccessEndpoint
from ..webhooks import EVERY_EVENT, WebhookEndpoint, WebhookEvent
from .conf import OptionValues, setting
from .signals import token_issued, webhook_received
from .stores import AsyncCacheWebhookStore, CacheWebhookStore
from .validation import core_error, load_hook, problems

__all__ = ["Integration", "build", "configure", "get_integration", "get_relaybox"]


@dataclass(frozen=True)
class Webhooks:
    """The webhook endpoint for sync and async views."""

    endpoint: WebhookEndpoint
    async_endpoint: WebhookEndpoint


@dataclass(frozen=True)
class Integration:
    """The configured core: the client, and the endpoints for sync and async views."""

    relaybox: RelayBox
    endpoint: AuthEndpoint
    async_endpoint: AuthEndpoint
    #: None unless ``RELAYBOX["WEBHOOK_SIGNING_KEY"]`` is set.
    webhooks: Webhooks | None = None
    #: The room access endpoint for sync and async views; None unless
    #: ``RELAYBOX["CAN_JOIN_ROOM_HOOK"]`` is set.
    room_access: RoomAccessEndpoint | None = None
    async_room_access: RoomAccessEndpoint | None = None

    def require_webhooks(self) -> Webhooks:
        """:attr:`webhooks`, or the error a routed webhook view without a key deserves."""
        if self.webhooks is None:
            raise ImproperlyConfigured(
                "RELAYBOX['WEBHOOK_SIGNING_KEY'] is not set, so the Relaybox webhook view "
                "cannot verify deliveries: set it to the signing key of the webhook in your "
                "Relaybox dashboard [relaybox.E010]"
            )
        return self.webhooks


def _sync(hook: Callable[..., Any]) -> Callable[..., Any]:
    return async_to_sync(hook) if iscoroutinefunction(hook) else hook


def _async(hook: Callable[..., Any]) -> Callable[..., Any]:
    # Sync hooks may use the ORM, which must not run on the event loop.
    return hook if iscoroutinefunction(hook) else sync_to_async(hook)


#: Before 5.0, Django's signals call an ``async def`` receiver without awaiting it.
ASYNC_RECEIVERS_NEED = (
    "async signal receivers need Django 5.0 or later, whose signals await them; make it a "
    "plain function on this Django"
)


def _sent(signal: Signal, sender: type, **named: Any) -> None:
    """``signal.send``, failing loudly for a receiver Django before 5.0 would never run."""
    for receiver, answer in signal.send(sender, **named):
        if inspect.isawaitable(answer):
            getattr(answer, "close", lambda: None)()  # no "never awaited" warning
            raise ImproperlyConfigured(f"{receiver!r}: {ASYNC_RECEIVERS_NEED}")


def _send(request: Any, user: Any, client_id: Any, expires_in: int, permissions: Any) -> None:
    _sent(
        token_issued,
        AuthEndpoint,
        request=request,
        user=user,
        client_id=client_id,
        expires_in=expires_in,
        permissions=permissions,
    )


async def _asend(
    request: Any, user: Any, client_id: Any, expires_in: int, permissions: Any
) -> None:
    if not token_issued.has_listeners(AuthEndpoint):
        return
    named = {
        "request": request,
        "user": user,
        "client_id": client_id,
        "expires_in": expires_in,
        "permissions": permissions,
    }
    asend = getattr(token_issued, "asend", None)  # Django 5.0+
    if asend is not None:
        await asend(AuthEndpoint, **named)
    else:
        await sync_to_async(_sent)(token_issued, AuthEndpoint, **named)


# Error e-mails (DEBUG off) cleanse these frames; with DEBUG on, Django shows every local, so
# the key is never bound to a local name here.
@sensitive_variables()
def build() -> Integration:
    """Build from ``RELAYBOX`` (checked already); raises the core's ConfigurationError."""
    values = OptionValues()
    relaybox = RelayBox(**options_for("core", values))
    client_id = load_hook("CLIENT_ID_HOOK")
    get_permissions = load_hook("PERMISSIONS_HOOK")

    def endpoint(adapt: Callable[..., Any], audit: Callable[..., Any]) -> AuthEndpoint:
        return AuthEndpoint(
            relaybox,
            **options_for("endpoint", values),
            client_id=None if client_id is None else adapt(client_id),
            get_permissions=None if get_permissions is None else adapt(get_permissions),
            token_issued=audit,
        )

    webhooks = None if values["signing_key"] is None else _build_webhooks(values)
    sync_endpoint, async_endpoint = endpoint(_sync, _send), endpoint(_async, _asend)
    can_join_room = load_hook("CAN_JOIN_ROOM_HOOK")
    if can_join_room is None:
        return Integration(relaybox, sync_endpoint, async_endpoint, webhooks)
    return Integration(
        relaybox,
        sync_endpoint,
        async_endpoint,
        webhooks,
        RoomAccessEndpoint(sync_endpoint, _sync(can_join_room)),
        RoomAccessEndpoint(async_endpoint, _async(can_join_room)),
    )


def _send_webhook(event: WebhookEvent) -> None:
    _sent(webhook_received, WebhookEndpoint, event=event)


async def _asend_webhook(event: WebhookEvent) -> None:
    asend = getattr(webhook_received, "asend", None)  # Django 5.0+
    if asend is not None:
        await asend(WebhookEndpoint, event=event)
    else:
        await sync_to_async(_send_webhook)(event)


@sensitive_variables()
def _build_webhooks(values: OptionValues) -> Webhooks:
    from django.core.cache import caches

    cache = caches[str(setting("WEBHOOK_CACHE"))]
    endpoints = []
    for store, send in (
        (CacheWebhookStore(cache), _send_webhook),
        (AsyncCacheWebhookStore(cache), _asend_webhook),
    ):
        endpoint = WebhookEndpoint(store=store, **options_for("webhooks", values))
        endpoint.on(EVERY_EVENT)(send)
        endpoints.append(endpoint)
    return Webhooks(*endpoints)


def configure() -> tuple[list[CheckMessage], Integration | None]:
    """Every problem with ``RELAYBOX``, and, when none is an error, what it builds.

    The core is built once, here: both the system check and the first request call this.
    """
    messages = problems()
    if any(message.is_serious() for message in messages):
        return messages, None
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", ShortSecretWarning)
        try:
            integration = build()
        except ConfigurationError as exc:  # options fine alone, not together (token size)
            return [core_error(exc)], None
    messages += [
        CheckWarning(
            f"RELAYBOX['API_KEY']: {warning.message}",
            hint="Use the full key from your Relaybox dashboard.",
            id="relaybox.W001",
        )
        for warning in caught
        if issubclass(warning.category, ShortSecretWarning)
    ]
    return messages, integration


_lock = threading.Lock()
_integration: Integration | None = None


def get_integration() -> Integration:
    """The integration built from the current ``RELAYBOX``.

    Raises :class:`~django.core.exceptions.ImproperlyConfigured` with the first problem the
    system checks would report, so a server that skipped ``manage.py check`` still names
    the setting at fault.
    """
    global _integration
    integration = _integration
    if integration is not None:
        return integration
    with _lock:
        if _integration is None:
            messages, built = configure()
            if built is None:
                problem = next(message for message in messages if message.is_serious())
                raise ImproperlyConfigured(f"{problem.msg} ({problem.hint}) [{problem.id}]")
            for message in messages:  # W001: no system checks run under gunicorn
                if message.id == "relaybox.W001":
                    warnings.warn(message.msg, ShortSecretWarning, stacklevel=user_stacklevel())
            _integration = built
        return _integration


def get_relaybox() -> RelayBox:
    """The process's :class:`~relaybox_integrations.RelayBox`, configured by ``RELAYBOX``."""
    return get_integration().relaybox


def _reset(*, setting: str, **kwargs: object) -> None:
    global _integration
    if setting == "RELAYBOX":
        with _lock:
            _integration = None


setting_changed.connect(_reset, dispatch_uid="relaybox_integrations.django.reset")
