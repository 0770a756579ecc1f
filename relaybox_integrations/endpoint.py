"""The auth endpoint's HTTP behaviour, once for every framework.

Adapters find out who the user is (that part is framework-specific) and hand the result to
:class:`AuthEndpoint`, which decides the status, headers and JSON body. Every adapter
therefore answers the same way: ``Cache-Control: no-store`` on every answer, 401 for
anonymous users unless anonymous tokens are allowed, 403 when a hook refuses, 405 with
``Allow`` for methods other than GET, POST and OPTIONS, and JSON bodies throughout.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass, field

from .core import RelayBox
from .errors import ConfigurationError, RelayBoxError, TokenRequestError
from .permissions import PermissionsInput

__all__ = ["ALLOWED_METHODS", "AccessDenied", "AuthEndpoint", "EndpointResponse", "json_error"]

logger = logging.getLogger("relaybox_integrations")

#: Methods the auth endpoint answers. The browser client uses GET, or POST when configured;
#: OPTIONS is a CORS preflight, which a CORS middleware in front normally answers first.
ALLOWED_METHODS = ("GET", "POST", "OPTIONS")
_ALLOW = ", ".join(ALLOWED_METHODS)
# A token response is a credential (RFC 6749 §5.1); errors must not be cached either, or a
# user who logs in would keep getting the cached 401.
_NO_STORE = (("Cache-Control", "no-store"), ("Pragma", "no-cache"))
_JSON = (("Content-Type", "application/json"), *_NO_STORE)


class AccessDenied(RelayBoxError):
    """Raise from a client-id or permissions hook to refuse a user a token (403)."""

    def __init__(self, message: str = "You are not allowed to use realtime features.") -> None:
        super().__init__(message)
        self.message = message


@dataclass(frozen=True)
class EndpointResponse:
    """A framework-neutral HTTP response; adapters copy it into their own type."""

    status: int
    #: Kept out of ``repr()``: a 200 body holds the token, a credential.
    body: bytes = field(repr=False)
    headers: tuple[tuple[str, str], ...] = field(default=_JSON)

    @property
    def content_type(self) -> str:
        return dict(self.headers).get("Content-Type", "")


def json_error(status: int, code: str, message: str, *extra: tuple[str, str]) -> EndpointResponse:
    """A JSON error answer, ``{"error": code, "message": message}``, never cached.

    For adapters whose framework refuses a request before the endpoint runs (a CSRF check),
    so that the browser client still reads JSON.
    """
    body = json.dumps({"error": code, "message": message}, separators=(",", ":")).encode()
    return EndpointResponse(status, body, (*_JSON, *extra))


_METHOD_NOT_ALLOWED = json_error(
    405, "method_not_allowed", f"The Relaybox auth endpoint answers {_ALLOW}.", ("Allow", _ALLOW)
)
_PREFLIGHT = EndpointResponse(204, b"", (*_NO_STORE, ("Allow", _ALLOW)))
_NOT_AUTHENTICATED = json_error(401, "not_authenticated", "Log in to get a Relaybox token.")
_SERVER_ERROR = json_error(
    500, "token_error", "The server could not issue a Relaybox token; its log says why."
)


class AuthEndpoint:
    """Turns "who is asking" into the auth endpoint's HTTP answer.

    ``allow_anonymous``: when True, users with no identity get a token without a
    ``clientId`` (they can connect but not take part in presence); when False (the
    default) they get 401.
    """

    def __init__(self, relaybox: RelayBox, *, allow_anonymous: bool = False) -> None:
        if not isinstance(allow_anonymous, bool):
            raise ConfigurationError(
                "allow_anonymous", f"allow_anonymous must be True or False; got {allow_anonymous!r}"
            )
        self.relaybox = relaybox
        self.allow_anonymous = allow_anonymous

    def __repr__(self) -> str:
        return f"AuthEndpoint({self.relaybox!r}, allow_anonymous={self.allow_anonymous})"

    def reject_method(self, method: str) -> EndpointResponse | None:
        """The answer for a request that must not mint a token, or None for GET and POST.

        Adapters call this before looking the user up, so OPTIONS and unknown methods never
        touch the session or the database.
        """
        if method in ("GET", "POST"):
            return None
        if method == "OPTIONS":
            return _PREFLIGHT
        return _METHOD_NOT_ALLOWED

    def issue(
        self,
        client_id: str | int | None,
        *,
        permissions: PermissionsInput | None = None,
    ) -> EndpointResponse:
        """Answer with a token for ``client_id`` (None: anonymous).

        ``client_id`` must come from the server-side session; never pass a value the
        browser sent. ``permissions`` None means the configured default.
        """
        if client_id is None and not self.allow_anonymous:
            return _NOT_AUTHENTICATED
        try:
            response = self.relaybox.generate_token_response(
                client_id=client_id, permissions=permissions
            )
        except TokenRequestError as exc:
            return self.server_error(str(exc))
        logger.debug(
            "Relaybox token issued: client_id=%r expires_in=%d", client_id, response.expires_in
        )
        return EndpointResponse(200, response.to_json())

    @staticmethod
    def server_error(reason: str) -> EndpointResponse:
        """The 500 answer for a hook that returned something unusable.

        A server bug, not the browser's fault: ``reason`` goes to the log, and the browser
        gets a generic JSON message.
        """
        logger.error("Relaybox token not issued: %s", reason)
        return _SERVER_ERROR

    @staticmethod
    def deny(exc: AccessDenied) -> EndpointResponse:
        """The 403 answer for a hook that raised :class:`AccessDenied`."""
        return json_error(403, "forbidden", exc.message)
