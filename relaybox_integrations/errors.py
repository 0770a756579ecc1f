"""One exception hierarchy for everything the package raises.

Configuration errors (a bad API key, expiry or static permissions) are raised once, at
start-up; per-call errors (a bad argument to one call, a token that fails verification) are
raised by the call. Both derive from :class:`RelayBoxError`, and no message ever contains the
API secret.
"""

from __future__ import annotations

from typing import Any

__all__ = [
    "AccessDenied",
    "ConfigurationError",
    "MissingExtraError",
    "MissingMiddlewareError",
    "PublishError",
    "PublishOutcomeUnknownError",
    "PublishRequestError",
    "RelayBoxError",
    "ServiceError",
    "ServiceOutcomeUnknownError",
    "ServiceRequestError",
    "ShortSecretWarning",
    "TokenExpiredError",
    "TokenRequestError",
    "TokenTooLargeError",
    "TokenVerificationError",
    "WebhookSigningError",
    "WebhookVerificationError",
]


class RelayBoxError(Exception):
    """Base class of every error raised by relaybox_integrations."""

    def __reduce__(self) -> tuple[Any, ...]:
        # Picklable (task queues carry errors between processes) whatever the subclass's
        # ``__init__`` takes: rebuilt from its message, then its attributes restored.
        return (_unpickled, (type(self), self.args), self.__dict__)


def _unpickled(cls: type[RelayBoxError], args: tuple[Any, ...]) -> RelayBoxError:
    return cls.__new__(cls, *args)


class AccessDenied(RelayBoxError):
    """Raise from a client-id or permissions hook to refuse a user a token (403)."""

    def __init__(self, message: str = "You are not allowed to use realtime features.") -> None:
        super().__init__(message)
        self.message = message


class MissingMiddlewareError(RelayBoxError, RuntimeError):
    """A middleware the Starlette or FastAPI integration relies on is not installed."""


class ConfigurationError(RelayBoxError, ValueError):
    """A setting is wrong; raised at start-up.

    ``setting`` names the setting as the user wrote it: the core's and the Starlette and
    FastAPI adapters' keyword arguments (``"api_key"``, ``"expires_in"``...), Flask's
    ``app.config`` keys (``"RELAYBOX_API_KEY"``...). Django reports the same problems
    through its system checks, as ``RELAYBOX['API_KEY']``.
    """

    def __init__(self, setting: str, message: str) -> None:
        super().__init__(message)
        self.setting, self.message = setting, message

    def renamed(self, setting: str) -> ConfigurationError:
        """This error under the name an adapter's users wrote the setting as."""
        return ConfigurationError(setting, f"{setting}: {self.message}")


class MissingExtraError(RelayBoxError, ImportError):
    """A feature in use needs an extra that is not installed; raised at start-up.

    Not a :class:`ConfigurationError`: no setting is wrong, so no adapter renames it as one.
    ``extra`` is the extra's name (``"webhooks"``, ``"publish"``).
    """

    def __init__(self, extra: str, message: str) -> None:
        super().__init__(message)
        self.extra, self.message = extra, message


class TokenRequestError(RelayBoxError, ValueError):
    """An argument of one token request is invalid (client id, expiry, permissions)."""


class TokenTooLargeError(TokenRequestError):
    """The token would not fit in the URL the browser client opens its WebSocket with."""


class TokenVerificationError(RelayBoxError):
    """A token that Relaybox's service would reject."""


class ShortSecretWarning(UserWarning):
    """The API secret is shorter than the 32 bytes HS256 keys should have."""


class WebhookVerificationError(RelayBoxError):
    """A webhook delivery that did not come from Relaybox as it is, or not just now.

    ``reason`` says which check failed: ``"missing_signature"``, ``"malformed_signature"``,
    ``"signature_mismatch"``, ``"invalid_body"`` or ``"stale_timestamp"``. Messages never
    hold the signing key, the expected signature or the body.
    """

    def __init__(self, reason: str, message: str) -> None:
        super().__init__(message)
        self.reason, self.message = reason, message


class WebhookSigningError(RelayBoxError, ValueError):
    """``sign_webhook`` was given something Relaybox could not send."""


class PublishRequestError(RelayBoxError, ValueError):
    """An argument of one publish call is invalid; nothing was sent.

    ``argument`` names it (``"room_id"``, ``"event"``, ``"data"``, ``"client_id"``,
    ``"transient"``).
    """

    def __init__(self, argument: str, message: str) -> None:
        super().__init__(message)
        self.argument, self.message = argument, message


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


class PublishOutcomeUnknownError(PublishError):
    """The request went out but no answer came back: the event may have been published.

    Relaybox has no idempotency key, so sending it again could publish it twice; it is not
    retried. Catch this error to decide for yourself.
    """


class TokenExpiredError(TokenVerificationError):
    """A token that was valid until its ``exp``: the client should get a fresh one."""


class ServiceRequestError(RelayBoxError, ValueError):
    """An argument of one state or auth service call is invalid; nothing was sent.

    ``argument`` names it (``"room_id"``, ``"client_id"``, ``"auth_token"``...). Messages
    never quote a token or a password.
    """

    def __init__(self, argument: str, message: str) -> None:
        super().__init__(message)
        self.argument, self.message = argument, message


class ServiceError(RelayBoxError):
    """A Relaybox service (state or auth) refused a call, or could not be reached.

    What the service answered, as the official library's ``HTTPServiceError`` carries it:
    ``status`` (None when no answer came), ``name`` (the error's name in the answer, such as
    ``"NotFoundError"``, or None), ``message`` (the answer's message, or ``"Service request
    failed"``) and ``data`` (the answer's ``data``, or None). An answer that is not JSON gives
    this error too, with its text in ``body``. ``method`` and ``url`` say which call,
    ``attempts`` how many requests were made. No message holds the auth token.
    """

    def __init__(
        self,
        description: str,
        *,
        method: str,
        url: str,
        status: int | None = None,
        name: str | None = None,
        message: str = "Service request failed",
        data: Any = None,
        body: str = "",
        attempts: int = 1,
    ) -> None:
        super().__init__(description)
        self.method = method
        self.url = url
        self.status = status
        self.name = name
        self.message = message
        self.data = data
        self.body = body
        self.attempts = attempts


class ServiceOutcomeUnknownError(ServiceError):
    """A call that changes state went out but no answer came back: it may have been applied.

    Not retried, since applying it twice could differ from once (a member added back after
    a removal in between). Read the state again to decide.
    """
