"""A Django REST framework authentication class for Relaybox users' auth tokens.

.. code-block:: python

    REST_FRAMEWORK = {
        "DEFAULT_AUTHENTICATION_CLASSES": [
            "relaybox_integrations.django.rest_framework_auth.RelayBoxTokenAuthentication",
            "rest_framework.authentication.SessionAuthentication",
        ],
    }

DRF is imported only by this module.
"""

from __future__ import annotations

from typing import Any

from rest_framework.authentication import BaseAuthentication
from rest_framework.exceptions import AuthenticationFailed
from rest_framework.request import Request

from ..auth_tokens import (
    AUTH_SCHEME,
    RelayBoxUser,
    bearer_token,
    refusal_message,
)
from ..errors import TokenVerificationError
from .auth_token_checks import HOOK_SETTING
from .integration import get_relaybox
from .validation import load_hook

__all__ = ["RelayBoxTokenAuthentication"]


class RelayBoxTokenAuthentication(BaseAuthentication):
    """Authenticates ``Authorization: Bearer <token>`` holding a Relaybox user's auth token.

    ``request.user`` is what ``RELAYBOX["USER_FROM_AUTH_TOKEN_HOOK"]`` returns for the
    verified :class:`.RelayBoxUser`, or, without the hook, that
    :class:`.RelayBoxUser` itself (a stateless user, as simplejwt's
    ``TokenUser``); ``request.auth`` is the :class:`.RelayBoxUser`.
    No header, or another scheme: None, so the next class tries. A refused token, or one the
    hook maps to no active user: 401 with ``WWW-Authenticate: Bearer``. Another class that
    also reads ``Bearer`` (simplejwt's) refuses our tokens, and we refuse its: list one.
    """

    def authenticate(self, request: Request) -> tuple[Any, RelayBoxUser] | None:
        try:
            token = bearer_token(request.META.get("HTTP_AUTHORIZATION"))
            if token is None:
                return None
            relaybox_user = get_relaybox().verify_auth_token(token)
        except TokenVerificationError as exc:
            raise AuthenticationFailed(refusal_message(exc), code="invalid_token") from None
        hook = load_hook(HOOK_SETTING)
        user = relaybox_user if hook is None else hook(relaybox_user)
        if user is None or getattr(user, "is_active", True) is not True:
            raise AuthenticationFailed(refusal_message(None), code="invalid_token")
        return user, relaybox_user

    def authenticate_header(self, request: Request) -> str:
        """Makes DRF answer 401 (not 403) when authentication fails."""
        return f'{AUTH_SCHEME} realm="api"'
