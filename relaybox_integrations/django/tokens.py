"""Who gets which token: the hooks, the anonymous policy and the audit signal.

Shared by the sync and async views, the DRF view and the ``relaybox_token`` command, so
they all answer alike. The client id comes from the user the server authenticated, never
from anything the browser sent.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from asgiref.sync import async_to_sync, iscoroutinefunction, sync_to_async

from ..endpoint import AccessDenied, AuthEndpoint, EndpointResponse
from ..permissions import PermissionsInput
from .conf import RelayboxConfig, default_client_id
from .signals import token_issued

__all__ = ["aidentify", "aissue", "identify", "issue"]

Identity = tuple["str | int | None", "PermissionsInput | None"]


def _call(hook: Callable[..., Any], *args: Any) -> Any:
    if iscoroutinefunction(hook):
        return async_to_sync(hook)(*args)
    return hook(*args)


async def _acall(hook: Callable[..., Any], *args: Any) -> Any:
    if hook is default_client_id:  # reads user.pk only: no thread hop needed
        return hook(*args)
    if iscoroutinefunction(hook):
        return await hook(*args)
    # Hooks may use the ORM, which must not run on the event loop.
    return await sync_to_async(hook)(*args)


class _NoClientId(Exception):
    """The client-id hook returned None for a logged-in user: a bug in the hook."""


_NO_CLIENT_ID = (
    "RELAYBOX['CLIENT_ID_HOOK'] returned None for a logged-in user; return the "
    "user's Relaybox id (a str), or raise AccessDenied to refuse a token"
)


def _checked(client_id: Any) -> Any:
    if client_id is None:
        raise _NoClientId
    return client_id


def identify(config: RelayboxConfig, request: Any, user: Any) -> Identity:
    """The client id and permissions for ``user``; hooks may raise :class:`AccessDenied`."""
    client_id = _checked(_call(config.client_id_hook, user)) if user.is_authenticated else None
    hook = config.permissions_hook
    return client_id, None if hook is None else _call(hook, request, user)


async def aidentify(config: RelayboxConfig, request: Any, user: Any) -> Identity:
    """:func:`identify` for async views: sync hooks run in a thread."""
    client_id = None
    if user.is_authenticated:
        client_id = _checked(await _acall(config.client_id_hook, user))
    hook = config.permissions_hook
    return client_id, None if hook is None else await _acall(hook, request, user)


def _refused(config: RelayboxConfig, user: Any) -> EndpointResponse | None:
    if user.is_authenticated or config.endpoint.allow_anonymous:
        return None
    return config.endpoint.issue(None)  # 401, before any hook runs


def _audit(config: RelayboxConfig, client_id: str | int | None) -> dict[str, Any]:
    return {
        "client_id": None if client_id is None else str(client_id),
        "expires_in": config.relaybox.expires_in,
    }


def issue(config: RelayboxConfig, request: Any, user: Any, sender: type) -> EndpointResponse:
    """The auth endpoint's answer for ``user``, who the server authenticated."""
    refused = _refused(config, user)
    if refused is not None:
        return refused
    try:
        client_id, permissions = identify(config, request, user)
    except AccessDenied as exc:
        return AuthEndpoint.deny(exc)
    except _NoClientId:
        return AuthEndpoint.server_error(_NO_CLIENT_ID)
    response = config.endpoint.issue(client_id, permissions=permissions)
    if response.status == 200:
        token_issued.send(sender, request=request, user=user, **_audit(config, client_id))
    return response


async def aissue(config: RelayboxConfig, request: Any, user: Any, sender: type) -> EndpointResponse:
    """:func:`issue` for async views."""
    refused = _refused(config, user)
    if refused is not None:
        return refused
    try:
        client_id, permissions = await aidentify(config, request, user)
    except AccessDenied as exc:
        return AuthEndpoint.deny(exc)
    except _NoClientId:
        return AuthEndpoint.server_error(_NO_CLIENT_ID)
    response = config.endpoint.issue(client_id, permissions=permissions)
    if response.status == 200 and token_issued.has_listeners(sender):
        named = {"request": request, "user": user, **_audit(config, client_id)}
        asend = getattr(token_issued, "asend", None)  # Django 5.0+
        if asend is not None:
            await asend(sender, **named)
        else:
            await sync_to_async(token_issued.send)(sender, **named)
    return response
