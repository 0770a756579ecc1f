"""One exception hierarchy for everything the package raises.

Configuration errors (a bad API key, expiry or static permissions) are raised once, at
start-up; per-call errors (a bad argument to one call, a token that fails verification) are
raised by the call. Both derive from :class:`RelayBoxError`, and no message ever contains the
API secret.
"""

from __future__ import annotations

import functools
from typing import Any

__all__ = [
    "ConfigurationError",
    "PublishError",
    "PublishOutcomeUnknownError",
    "PublishRequestError",
    "RelayBoxError",
    "ShortSecretWarning",
    "TokenRequestError",
    "TokenTooLargeError",
    "TokenVerificationError",
]


class RelayBoxError(Exception):
    """Base class of every error raised by relaybox_integrations."""


class ConfigurationError(RelayBoxError, ValueError):
    """A setting is wrong; raised at start-up.

    ``setting`` names the core option at fault (``"api_key"``, ``"expires_in"``,
    ``"permissions"``...), so that framework adapters can report it under their own
    setting name.
    """

    def __init__(self, setting: str, message: str) -> None:
        super().__init__(message)
        self.setting = setting
        self.message = message


class TokenRequestError(RelayBoxError, ValueError):
    """An argument of one token request is invalid (client id, expiry, permissions)."""


class TokenTooLargeError(TokenRequestError):
    """The token would not fit in the URL the browser client opens its WebSocket with."""


class TokenVerificationError(RelayBoxError):
    """A token that Relaybox's service would reject."""


class ShortSecretWarning(UserWarning):
    """The API secret is shorter than the 32 bytes HS256 keys should have."""


class PublishRequestError(RelayBoxError, ValueError):
    """An argument of one publish call is invalid; nothing was sent.

    ``argument`` names it (``"room_id"``, ``"event"``, ``"data"``, ``"client_id"``,
    ``"transient"``).
    """

    def __init__(self, argument: str, message: str) -> None:
        super().__init__(message)
        self.argument = argument
        self.message = message

    def __reduce__(self) -> tuple[Any, ...]:
        return (type(self), (self.argument, self.message))


class PublishError(RelayBoxError):
    """Relaybox did not publish the event, or could not be reached.

    ``status`` is the HTTP status Relaybox answered (None when no answer came), ``body`` its
    answer as text, ``room_id`` and ``event`` what was being published, ``attempts`` how many
    requests were made.
    """

    def __init__(
        self,
        message: str,
        *,
        room_id: str,
        event: str,
        status: int | None = None,
        body: str = "",
        attempts: int = 1,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.room_id = room_id
        self.event = event
        self.status = status
        self.body = body
        self.attempts = attempts

    def __reduce__(self) -> tuple[Any, ...]:
        # Picklable (task queues carry exceptions between processes) despite keyword arguments.
        rebuild = functools.partial(
            type(self),
            room_id=self.room_id,
            event=self.event,
            status=self.status,
            body=self.body,
            attempts=self.attempts,
        )
        return (rebuild, (self.message,))


class PublishOutcomeUnknownError(PublishError):
    """The request went out but no answer came back: the event may have been published.

    Relaybox has no idempotency key, so sending it again could publish it twice; it is not
    retried. Catch this error to decide for yourself.
    """
