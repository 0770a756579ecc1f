"""Sign Flask requests in with a Relaybox user's auth token (``Authorization: Bearer``).

:func:`load_user_from_auth_token` is a Flask-Login request loader, and a plain function
without Flask-Login:

.. code-block:: python

    login_manager.request_loader(load_user_from_auth_token)

The extension's :meth:`@relaybox.user_from_auth_token
<relaybox_integrations.flask.RelayBox.user_from_auth_token>` hook maps the verified
:class:`.RelayBoxUser` to the application's user; without it, that
:class:`.RelayBoxUser` is the user (it has what Flask-Login needs).
"""

from __future__ import annotations

from typing import Any, NoReturn

from flask import Request, Response, abort, current_app, g
from flask import request as current_request

from ..auth_tokens import bearer_token, unauthorized
from ..errors import TokenVerificationError
from ..flow import EndpointResponse
from .extension import get_state

__all__ = ["load_user_from_auth_token"]


def load_user_from_auth_token(request: Request | None = None) -> Any:
    """The user the request's ``Authorization: Bearer`` token names (default: the current
    request), or None without that header (anonymous: the application's own login works).

    A token that fails :meth:`RelayBox.verify_auth_token
    <relaybox_integrations.RelayBox.verify_auth_token>`, or that the hook maps to no active
    user, aborts the request with a JSON 401 and ``WWW-Authenticate: Bearer``. The verified
    :class:`.RelayBoxUser` is kept in ``g.relaybox_user``.
    """
    if request is None:
        request = current_request
    state = get_state()
    try:
        token = bearer_token(request.headers.get("Authorization"))
        if token is None:
            return None
        relaybox_user = state.relaybox.verify_auth_token(token)
    except TokenVerificationError as exc:
        _abort(unauthorized(exc))
    hook = state.extension.user_from_auth_token_hook
    user = relaybox_user if hook is None else current_app.ensure_sync(hook)(relaybox_user)
    if user is None or getattr(user, "is_active", True) is not True:
        _abort(unauthorized(None))
    g.relaybox_user = relaybox_user
    return user


def _abort(answer: EndpointResponse) -> NoReturn:
    abort(Response(answer.body, status=answer.status, headers=list(answer.headers)))
