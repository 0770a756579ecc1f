"""What the Django views, command and accessors share, built once from ``RELAYBOX``.

Built on first use after the system checks' own validation passes, kept for the process,
and dropped when Django's ``setting_changed`` signal names ``RELAYBOX``
(``override_settings`` in tests), so requests never re-parse the key.
"""

from __future__ import annotations

import threading
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from asgiref.sync import async_to_sync, iscoroutinefunction, sync_to_async
from django.core.exceptions import ImproperlyConfigured
from django.core.signals import setting_changed
from django.views.decorators.debug import sensitive_variables

from ..core import RelayBox
from ..endpoint import AuthEndpoint
from ..errors import ShortSecretWarning
from .checks import configure, load_hook
from .conf import setting
from .signals import token_issued

__all__ = ["Integration", "build", "get_integration", "get_relaybox"]


@dataclass(frozen=True)
class Integration:
    """The configured core: the client, and the auth endpoint for sync and async views."""

    relaybox: RelayBox
    endpoint: AuthEndpoint
    async_endpoint: AuthEndpoint


def _sync(hook: Callable[..., Any]) -> Callable[..., Any]:
    return async_to_sync(hook) if iscoroutinefunction(hook) else hook


def _async(hook: Callable[..., Any]) -> Callable[..., Any]:
    # Sync hooks may use the ORM, which must not run on the event loop.
    return hook if iscoroutinefunction(hook) else sync_to_async(hook)


def _send(request: Any, user: Any, client_id: Any, expires_in: int, permissions: Any) -> None:
    token_issued.send(
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
        await sync_to_async(token_issued.send)(AuthEndpoint, **named)


# Error e-mails (DEBUG off) cleanse these frames; with DEBUG on, Django shows every local, so
# the key is never bound to a local name here.
@sensitive_variables()
def build() -> Integration:
    """Build from ``RELAYBOX`` (checked already); raises the core's ConfigurationError."""
    relaybox = RelayBox(
        setting("API_KEY"),  # type: ignore[arg-type]  # the core checks every type
        expires_in=setting("TOKEN_EXPIRES_IN"),  # type: ignore[arg-type]
        permissions=setting("PERMISSIONS"),  # type: ignore[arg-type]
    )
    client_id = load_hook("CLIENT_ID_HOOK")
    permissions_hook = load_hook("PERMISSIONS_HOOK")
    allow_anonymous: Any = setting("ALLOW_ANONYMOUS")

    def endpoint(adapt: Callable[..., Any], audit: Callable[..., Any]) -> AuthEndpoint:
        permissions = None
        if permissions_hook is not None:
            adapted = adapt(permissions_hook)

            def permissions(request: Any, user: Any, client_id: Any) -> Any:
                return adapted(request, user)

        return AuthEndpoint(
            relaybox,
            allow_anonymous=allow_anonymous,
            client_id=None if client_id is None else adapt(client_id),
            permissions=permissions,
            token_issued=audit,
        )

    return Integration(relaybox, endpoint(_sync, _send), endpoint(_async, _asend))


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
                warnings.warn(message.msg, ShortSecretWarning, stacklevel=2)
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
