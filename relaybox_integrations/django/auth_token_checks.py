"""The system check for signing requests in with Relaybox users' auth tokens.

Apart from :mod:`.auth_tokens`, whose backend imports ``django.contrib.auth``'s models: the
app registers this check in every project, with or without ``django.contrib.auth``.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any, Final

from django.conf import settings
from django.core.checks import CheckMessage, Error

from .conf import raw_settings
from .validation import error

__all__ = ["AUTH_MIDDLEWARE", "BACKEND", "HOOK_SETTING", "MIDDLEWARE", "check_auth_tokens"]

#: The ``RELAYBOX`` key of the hook mapping a Relaybox user to the project's user.
HOOK_SETTING: Final = "USER_FROM_AUTH_TOKEN_HOOK"
BACKEND: Final = "relaybox_integrations.django.auth_tokens.RelayBoxTokenBackend"
MIDDLEWARE: Final = "relaybox_integrations.django.auth_tokens.RelayBoxTokenMiddleware"
AUTH_MIDDLEWARE: Final = "django.contrib.auth.middleware.AuthenticationMiddleware"


def check_auth_tokens(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    """The system check: the middleware, the backend and the hook, set up together."""
    return list(_problems())


def _problems() -> Iterator[CheckMessage]:
    middleware = list(getattr(settings, "MIDDLEWARE", None) or [])
    backends = list(getattr(settings, "AUTHENTICATION_BACKENDS", []))
    raw = raw_settings()
    hooked = isinstance(raw, Mapping) and raw.get(HOOK_SETTING) is not None
    if (BACKEND in backends or MIDDLEWARE in middleware) and not hooked:
        yield error(
            "relaybox.E025",
            HOOK_SETTING,
            "is not set, but Relaybox's token backend or middleware is installed: a "
            "Relaybox user's token cannot be mapped to a user of this project",
            "Give the dotted path of a function taking a RelayBoxUser and returning your "
            "user, or None, e.g. 'myapp.relaybox.user_from_auth_token'.",
        )
    if MIDDLEWARE in middleware:
        if BACKEND not in backends:
            yield Error(
                f"AUTHENTICATION_BACKENDS: {BACKEND} is missing, but {MIDDLEWARE} is in "
                "MIDDLEWARE: every token would be refused",
                hint=f"Add '{BACKEND}' to AUTHENTICATION_BACKENDS.",
                id="relaybox.E026",
            )
        if AUTH_MIDDLEWARE not in middleware[: middleware.index(MIDDLEWARE)]:
            yield Error(
                f"MIDDLEWARE: {MIDDLEWARE} must come after '{AUTH_MIDDLEWARE}'",
                hint="Move it below AuthenticationMiddleware, which sets request.user.",
                id="relaybox.E027",
            )
