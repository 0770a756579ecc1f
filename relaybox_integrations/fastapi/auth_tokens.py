"""A FastAPI dependency for Relaybox users' auth tokens (``Authorization: Bearer``).

.. code-block:: python

    relaybox_user = RelayBoxBearer(relaybox, user_from_auth_token=load_member)

    @app.get("/me")
    async def me(member: Annotated[Member, Depends(relaybox_user)]) -> dict[str, str]: ...

It is FastAPI's ``HTTPBearer`` (so OpenAPI shows the Bearer scheme and the docs page's
"Authorize" button), verifying the token as Starlette's ``RelayBoxAuthBackend`` does.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fastapi import HTTPException, Request
from fastapi.security import HTTPBearer

from ..auth_tokens import AUTH_SCHEME, CHALLENGE, RelayBoxUser, refusal_message
from ..starlette import get_relaybox
from ..starlette.auth_tokens import AuthTokenError, RelayBoxAuthBackend

__all__ = ["RelayBoxBearer"]


class RelayBoxBearer(HTTPBearer):
    """A dependency returning the user a Relaybox user's auth token names.

    ``relaybox`` is the configured :class:`~relaybox_integrations.RelayBox` or
    :class:`~relaybox_integrations.starlette.RelayBoxIssuer`; None takes the one
    :class:`~relaybox_integrations.starlette.RelayBoxMiddleware` configured.
    ``user_from_auth_token`` (sync, run in the threadpool, or async) maps the verified
    :class:`.RelayBoxUser` to your user, or None for nobody; without
    it, the dependency returns that :class:`.RelayBoxUser`, which is
    kept in ``request.state.relaybox_user`` either way.

    A refused token, or one mapped to no user: ``HTTPException`` 401 with
    ``WWW-Authenticate: Bearer``. No header: the same 401, or None with
    ``auto_error=False``, for routes where anonymous users (or your own login) are welcome.
    """

    def __init__(
        self,
        relaybox: Any = None,
        *,
        user_from_auth_token: Callable[[RelayBoxUser], Any] | None = None,
        auto_error: bool = True,
        scheme_name: str | None = "RelayBox",
        description: str | None = "A Relaybox user's auth token.",
    ) -> None:
        super().__init__(
            bearerFormat="JWT",
            scheme_name=scheme_name,
            description=description,
            auto_error=auto_error,
        )
        self._relaybox = relaybox
        self._hook = user_from_auth_token
        # Checked now, at start-up, when the core is given.
        self._backend = (
            None
            if relaybox is None
            else RelayBoxAuthBackend(relaybox, user_from_auth_token=user_from_auth_token)
        )

    async def __call__(self, request: Request) -> Any:  # type: ignore[override]
        backend = self._backend
        if backend is None:  # the middleware's core; a backend costs no parsing to build
            backend = RelayBoxAuthBackend(get_relaybox(request), user_from_auth_token=self._hook)
        try:
            found = await backend.user_for(request.headers.get("authorization"))
        except AuthTokenError as exc:
            raise HTTPException(
                401, refusal_message(exc.error), headers={"WWW-Authenticate": CHALLENGE}
            ) from None
        if found is None:
            if not self.auto_error:
                return None
            raise HTTPException(401, "Not authenticated", headers={"WWW-Authenticate": AUTH_SCHEME})
        user, request.state.relaybox_user = found
        return user
