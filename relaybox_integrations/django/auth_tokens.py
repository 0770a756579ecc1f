"""Sign Django requests in with a Relaybox user's auth token (``Authorization: Bearer``).

Two parts that pair up as Django's ``RemoteUserMiddleware`` and ``RemoteUserBackend`` do:

.. code-block:: python

    MIDDLEWARE = [
        ...,
        "django.contrib.auth.middleware.AuthenticationMiddleware",
        "relaybox_integrations.django.auth_tokens.RelayBoxTokenMiddleware",
    ]
    AUTHENTICATION_BACKENDS = [
        "django.contrib.auth.backends.ModelBackend",
        "relaybox_integrations.django.auth_tokens.RelayBoxTokenBackend",
    ]
    RELAYBOX = {..., "USER_FROM_AUTH_TOKEN_HOOK": "myapp.relaybox.user_from_auth_token"}

The hook takes the verified :class:`.RelayBoxUser` and returns the
project's user, or None when it has none. A request with a valid token is that user's for
this request only (no session is created); one with a bad, expired or foreign token is
answered a JSON 401; one without the header is left alone, so the project's own login works.
"""

from __future__ import annotations

from typing import Any, Final

from django.contrib import auth
from django.contrib.auth.backends import ModelBackend
from django.core.exceptions import ImproperlyConfigured
from django.http import HttpRequest, HttpResponse
from django.utils.deprecation import MiddlewareMixin

from ..auth_tokens import RelayBoxUser, bearer_token, unauthorized
from ..errors import TokenVerificationError
from .auth_token_checks import AUTH_MIDDLEWARE, HOOK_SETTING, MIDDLEWARE
from .integration import get_relaybox
from .validation import load_hook
from .views import to_django

__all__ = ["RelayBoxTokenBackend", "RelayBoxTokenMiddleware"]

# Where the backend leaves, for the middleware, why it refused a token.
_REFUSAL: Final = "_relaybox_token_error"


def user_from_auth_token(relaybox_user: RelayBoxUser) -> Any:
    """The project's user for ``relaybox_user``, through ``RELAYBOX[HOOK_SETTING]``."""
    hook = load_hook(HOOK_SETTING)
    if hook is None:
        raise ImproperlyConfigured(
            f"RELAYBOX[{HOOK_SETTING!r}] is not set, so a Relaybox user's token cannot be "
            "mapped to a user of this project: set it to the dotted path of a function "
            "taking a RelayBoxUser and returning your user, or None [relaybox.E025]"
        )
    return hook(relaybox_user)


class RelayBoxTokenBackend(ModelBackend):
    """Authenticates ``authenticate(request, relaybox_token=<token>)``.

    Verifies the token with the configured key (:meth:`RelayBox.verify_auth_token
    <relaybox_integrations.RelayBox.verify_auth_token>`), then asks
    ``RELAYBOX["USER_FROM_AUTH_TOKEN_HOOK"]`` for the user. Returns None for a refused token,
    no user, or an inactive one, as Django's backends do; the verified
    :class:`.RelayBoxUser` is left on ``request.relaybox_user``.
    Permissions come from :class:`~django.contrib.auth.backends.ModelBackend`.
    """

    def authenticate(  # type: ignore[override]
        self, request: HttpRequest | None, relaybox_token: str | None = None, **kwargs: Any
    ) -> Any:
        if relaybox_token is None:
            return None  # another backend's credentials
        try:
            relaybox_user = get_relaybox().verify_auth_token(relaybox_token)
        except TokenVerificationError as exc:
            if request is not None:
                setattr(request, _REFUSAL, exc)
            return None
        user = user_from_auth_token(relaybox_user)
        if user is None or not self.user_can_authenticate(user):
            return None
        if request is not None:
            request.relaybox_user = relaybox_user  # type: ignore[attr-defined]
        return user


class RelayBoxTokenMiddleware(MiddlewareMixin):
    """Sets ``request.user`` from ``Authorization: Bearer <token>``; place it after
    ``AuthenticationMiddleware``.

    No header (or another scheme): the request is left as it is. A token that
    :class:`RelayBoxTokenBackend` refuses, or maps to no active user: a JSON 401 with
    ``WWW-Authenticate: Bearer``. The user is set for this request only, and the request is
    exempt from the CSRF check: a cross-site form cannot send the header, so the check guards
    nothing here (DRF's token classes skip it too).
    """

    def process_request(self, request: HttpRequest) -> HttpResponse | None:
        if not hasattr(request, "user"):
            raise ImproperlyConfigured(
                f"{MIDDLEWARE} needs request.user: place it after '{AUTH_MIDDLEWARE}' in MIDDLEWARE"
            )
        try:
            token = bearer_token(request.META.get("HTTP_AUTHORIZATION"))
        except TokenVerificationError as exc:
            return to_django(unauthorized(exc))
        if token is None:
            return None
        user = auth.authenticate(request, relaybox_token=token)
        if user is None:
            return to_django(unauthorized(getattr(request, _REFUSAL, None)))
        request.user = user
        request._cached_user = user  # type: ignore[attr-defined]  # AuthenticationMiddleware's cache
        request._dont_enforce_csrf_checks = True  # type: ignore[attr-defined]
        return None
