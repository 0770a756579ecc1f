"""Relaybox's own user accounts: verify the auth tokens its auth service gives signed-in users.

An application whose users sign in with Relaybox's auth can accept their token on its own
API as ``Authorization: Bearer <token>``. Relaybox's auth service signs it with the
application's API secret (HS256, issuer ``https://relaybox.net``) with the claims ``sub``
(the user's id), ``publicKey``, ``clientId``, ``tokenType`` ``"id_token"``, ``timestamp``,
``iat`` and ``exp`` (five minutes by default).

The official library's ``verifyAuthToken`` checks the signature and ``exp`` only. It
therefore also accepts the auth service's refresh tokens (``refresh_token``, valid for a
week) and its MFA challenge tokens (``tmp_token``, given before the second factor), tokens of
any issuer, for any of the app's keys, and HS384 or HS512.
:meth:`RelayBox.verify_auth_token <relaybox_integrations.RelayBox.verify_auth_token>` accepts
what the auth service's own authorizer accepts, and no more: an ``id_token`` that names a
user (``sub``) and their ``clientId``.

The adapters (Django, Django REST framework, Flask, Starlette, FastAPI) read the header with
:func:`bearer_token`, verify with ``relaybox.verify_auth_token(token)``, answer a refused
token with :func:`unauthorized`, and map the verified :class:`RelayBoxUser` to the
application's own user through one hook, ``user_from_auth_token(relaybox_user)``.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar, Final

from .errors import TokenExpiredError, TokenVerificationError
from .flow import EndpointResponse, json_error

if TYPE_CHECKING:
    from .tokens import Tokens

__all__ = [
    "AUTH_SCHEME",
    "CHALLENGE",
    "EXPIRED_TOKEN",
    "INVALID_TOKEN",
    "NO_USER",
    "RelayBoxUser",
    "UserFromAuthToken",
    "bearer_token",
    "refusal_message",
    "unauthorized",
]

logger = logging.getLogger("relaybox_integrations")

#: The ``Authorization`` scheme the token comes under (RFC 6750).
AUTH_SCHEME: Final = "Bearer"
#: The ``WWW-Authenticate`` value of every 401 for a refused token.
CHALLENGE: Final = f'{AUTH_SCHEME} error="invalid_token"'
#: The 401's message for a token that is malformed, forged, foreign or of the wrong type. One
#: message for all of them: which check failed is for the server's log, not for the caller.
INVALID_TOKEN: Final = "The Relaybox auth token is not valid."
#: The 401's message for a token that was valid until its ``exp``: the client should refresh.
EXPIRED_TOKEN: Final = "The Relaybox auth token has expired; refresh it and try again."
#: The 401's message when ``user_from_auth_token`` finds no user for a valid token.
NO_USER: Final = "No user of this application matches the Relaybox auth token."
#: Messages longer than this are cut in the log: the header's ``alg`` comes from the caller.
_LOGGED_REASON: Final = 200


@dataclass(frozen=True)
class RelayBoxUser:
    """A Relaybox user, as their verified auth token says.

    Also usable as a stateless user where a framework wants one (Starlette's ``request.user``,
    Flask-Login's ``current_user``, DRF's ``request.user``): authenticated, active, and
    identified by :attr:`client_id`, the id rooms and presence know them by.
    """

    #: The user's id in Relaybox's auth service (the ``sub`` claim).
    user_id: str
    #: The user's client id in rooms and presence, and what ``get_user`` takes.
    client_id: str
    #: ``appPid.keyId`` of the API key the token was issued under.
    public_key: str
    #: The ``exp`` claim: seconds since the epoch.
    expires_at: int
    #: The ``iat`` claim (seconds since the epoch), or None when the token has none.
    issued_at: int | None = None

    is_authenticated: ClassVar[bool] = True
    is_active: ClassVar[bool] = True
    is_anonymous: ClassVar[bool] = False

    @property
    def identity(self) -> str:
        """The client id: what the auth endpoint puts in this user's realtime tokens."""
        return self.client_id

    @property
    def display_name(self) -> str:
        """The client id: the token carries no name (``get_user`` returns the username)."""
        return self.client_id

    def get_id(self) -> str:
        """The client id, for Flask-Login."""
        return self.client_id


#: ``(relaybox_user) -> the application's user``, or None when it has no user for them.
UserFromAuthToken = Callable[[RelayBoxUser], Any]


def bearer_token(authorization: str | None) -> str | None:
    """The token of an ``Authorization: Bearer <token>`` header value.

    None when there is no header or it names another scheme (``Basic``, DRF's ``Token``):
    the request is then not this package's to authenticate. A ``Bearer`` header without
    exactly one token raises :class:`~relaybox_integrations.TokenVerificationError`.
    """
    if not authorization:
        return None
    parts = authorization.split()
    if not parts or parts[0].lower() != AUTH_SCHEME.lower():  # schemes are case-insensitive
        return None
    if len(parts) != 2:
        raise TokenVerificationError(
            "malformed Authorization header: expected 'Bearer <token>' with one token"
        )
    return parts[1]


def verify_auth_token(tokens: Tokens, token: str) -> RelayBoxUser:
    """The user a Relaybox user's auth token names, once it proves genuine and current:
    :meth:`RelayBox.verify_auth_token <relaybox_integrations.RelayBox.verify_auth_token>`.

    Accepts only: HS256 signed with the API secret of ``tokens``, issuer
    ``https://relaybox.net``, ``tokenType`` ``"id_token"``, ``publicKey`` this key's, an
    ``exp`` in the future, and non-empty string ``sub`` and ``clientId``. So refresh and MFA
    tokens, tokens minted by an auth endpoint (they have no ``sub``) and anonymous tokens are
    refused. Raises :class:`~relaybox_integrations.TokenExpiredError` for an expired token and
    :class:`~relaybox_integrations.TokenVerificationError` for any other.
    """
    claims = tokens._signed_claims(token)
    try:
        tokens._check_expiry(claims)  # first: "expired" tells the client to refresh
    except TokenVerificationError as exc:
        raise TokenExpiredError(str(exc)) from None
    tokens._check_claims(claims)
    subject, client_id = claims.get("sub"), claims.get("clientId")
    if not isinstance(subject, str) or not subject:
        raise TokenVerificationError(
            "token has no sub claim: it names no Relaybox user (a token minted by an auth "
            "endpoint is for the realtime service, not for signing in)"
        )
    if not isinstance(client_id, str):  # _check_claims refused the empty string already
        raise TokenVerificationError("token has no clientId claim")
    issued_at = claims.get("iat")
    return RelayBoxUser(
        user_id=subject,
        client_id=client_id,
        public_key=tokens.public_key,
        expires_at=int(claims["exp"]),
        issued_at=None if issued_at is None else int(issued_at),
    )


def refusal_message(error: TokenVerificationError | None) -> str:
    """What to tell the caller about a refused token, once its reason is logged.

    ``error`` None: a valid token for which the application has no user. The reason goes to
    the log at INFO, cut short (the header's ``alg`` comes from the caller); never the token.
    DRF's and FastAPI's own 401 answers say this too.
    """
    if error is None:
        logger.info("Relaybox auth token refused: no user of this application matches it")
        return NO_USER
    logger.info("Relaybox auth token refused: %.*s", _LOGGED_REASON, error)
    return EXPIRED_TOKEN if isinstance(error, TokenExpiredError) else INVALID_TOKEN


def unauthorized(error: TokenVerificationError | None = None) -> EndpointResponse:
    """The JSON 401 for a refused token, with ``WWW-Authenticate: Bearer`` (RFC 6750)."""
    challenge = ("WWW-Authenticate", CHALLENGE)
    return json_error(401, "invalid_token", refusal_message(error), challenge)
