"""Sign Starlette requests in with a Relaybox user's auth token (``Authorization: Bearer``).

:class:`RelayBoxAuthBackend` is an ``AuthenticationBackend`` for Starlette's
``AuthenticationMiddleware``, which then sets ``request.user`` and ``request.auth``:

.. code-block:: python

    backend = RelayBoxAuthBackend(relaybox, user_from_auth_token=load_member)
    Middleware(AuthenticationMiddleware, backend=backend, on_error=backend.on_error)

Pass ``on_error``: Starlette's default answers a refused token 400 in plain text.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from starlette.authentication import AuthCredentials, AuthenticationBackend, AuthenticationError
from starlette.requests import HTTPConnection
from starlette.responses import PlainTextResponse, Response

from ..auth_tokens import RelayBoxUser, bearer_token, unauthorized
from ..core import RelayBox
from ..errors import ConfigurationError, TokenVerificationError
from .bridge import awaitable_hook, to_response

__all__ = ["AuthTokenError", "RelayBoxAuthBackend", "RelayBoxCredentials"]


class RelayBoxCredentials(AuthCredentials):
    """``request.auth`` for a token-signed request: the ``authenticated`` scope, and the
    verified :class:`.RelayBoxUser`."""

    def __init__(self, relaybox_user: RelayBoxUser) -> None:
        super().__init__(["authenticated"])
        self.relaybox_user = relaybox_user


class AuthTokenError(AuthenticationError):
    """A refused token, or one the hook maps to no user; :meth:`RelayBoxAuthBackend.on_error`
    answers it 401. ``error`` is the verifier's, or None when no user matched."""

    def __init__(self, error: TokenVerificationError | None) -> None:
        super().__init__("The Relaybox auth token was refused.")  # never the reason: see log
        self.error = error


def configured_relaybox(relaybox: object) -> RelayBox:
    """The core of ``relaybox``: a :class:`~relaybox_integrations.RelayBox`, or anything that
    holds one as ``.relaybox`` (the Starlette issuer)."""
    core = getattr(relaybox, "relaybox", relaybox)
    if not isinstance(core, RelayBox):
        raise ConfigurationError(
            "relaybox",
            "relaybox: expected the configured RelayBox (or RelayBoxIssuer) whose API key "
            f"signs your users' tokens; got {type(relaybox).__name__}",
        )
    return core


class RelayBoxAuthBackend(AuthenticationBackend):
    """Authenticates ``Authorization: Bearer <token>`` holding a Relaybox user's auth token.

    ``relaybox`` is the configured :class:`~relaybox_integrations.RelayBox` or
    :class:`~relaybox_integrations.starlette.RelayBoxIssuer`. ``user_from_auth_token``
    (sync, run in the threadpool, or async) maps the verified
    :class:`.RelayBoxUser` to your user, or None for nobody; without
    it, that :class:`.RelayBoxUser` is ``request.user``.
    ``request.auth`` is a :class:`RelayBoxCredentials`. No header, or another scheme: None,
    so the user is anonymous. A refused token: :class:`AuthTokenError`, answered by
    :meth:`on_error`.
    """

    def __init__(
        self,
        relaybox: Any,
        *,
        user_from_auth_token: Callable[[RelayBoxUser], Any] | None = None,
    ) -> None:
        self.relaybox = configured_relaybox(relaybox)
        self._hook = awaitable_hook("user_from_auth_token", user_from_auth_token)

    def __repr__(self) -> str:
        return f"RelayBoxAuthBackend({self.relaybox!r})"

    async def authenticate(self, conn: HTTPConnection) -> tuple[RelayBoxCredentials, Any] | None:
        found = await self.user_for(conn.headers.get("authorization"))
        if found is None:
            return None
        user, relaybox_user = found
        return RelayBoxCredentials(relaybox_user), user

    async def user_for(self, authorization: str | None) -> tuple[Any, RelayBoxUser] | None:
        """The user an ``Authorization`` header value names, and the verified
        :class:`.RelayBoxUser`; None without a Bearer header.
        Raises :class:`AuthTokenError`."""
        try:
            token = bearer_token(authorization)
            if token is None:
                return None
            relaybox_user = self.relaybox.verify_auth_token(token)
        except TokenVerificationError as exc:
            raise AuthTokenError(exc) from None
        user = relaybox_user if self._hook is None else await self._hook(relaybox_user)
        if user is None or getattr(user, "is_active", True) is not True:
            raise AuthTokenError(None)
        return user, relaybox_user

    @staticmethod
    def on_error(conn: HTTPConnection, exc: AuthenticationError) -> Response:
        """``AuthenticationMiddleware``'s ``on_error``: the JSON 401 for a refused token.

        Another backend's error gets Starlette's own answer (400, its message).
        """
        if not isinstance(exc, AuthTokenError):
            return PlainTextResponse(str(exc), status_code=400)
        return to_response(unauthorized(exc.error))
