"""One exception hierarchy for everything the package raises.

Configuration errors (a bad API key, expiry or static permissions) are raised once, at
start-up; per-call errors (a bad argument to one call, a token that fails verification) are
raised by the call. Both derive from :class:`RelayBoxError`, and no message ever contains the
API secret.
"""

from __future__ import annotations

__all__ = [
    "ConfigurationError",
    "RelayBoxError",
    "ShortSecretWarning",
    "TokenRequestError",
    "TokenTooLargeError",
    "TokenVerificationError",
    "WebhookSigningError",
    "WebhookVerificationError",
]


class RelayBoxError(Exception):
    """Base class of every error raised by relaybox_integrations."""


class ConfigurationError(RelayBoxError, ValueError):
    """A setting is wrong; raised at start-up.

    ``setting`` names the setting as the user wrote it: the core's and the Starlette and
    FastAPI adapters' keyword arguments (``"api_key"``, ``"expires_in"``...), Flask's
    ``app.config`` keys (``"RELAYBOX_API_KEY"``...). Django reports the same problems
    through its system checks, as ``RELAYBOX['API_KEY']``.
    """

    def __init__(self, setting: str, message: str) -> None:
        super().__init__(message)
        self.setting = setting
        self.message = message

    def renamed(self, setting: str) -> ConfigurationError:
        """This error under the name an adapter's users wrote the setting as."""
        return ConfigurationError(setting, f"{setting}: {self.message}")


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
        self.reason = reason
        self.message = message


class WebhookSigningError(RelayBoxError, ValueError):
    """``sign_webhook`` was given something Relaybox could not send."""
