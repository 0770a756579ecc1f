"""What the core's calls return: a token response, a publish result.

Plain values, in a module of their own so that publishing and the token core can both use
them without importing each other.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

__all__ = ["PublishResult", "TokenResponse"]


@dataclass(frozen=True)
class PublishResult:
    """What Relaybox answered to a publish: its id for the request, and the event's time."""

    request_id: str
    #: The body's timestamp as Relaybox echoed it: milliseconds since the epoch.
    timestamp: int


@dataclass(frozen=True, repr=False)
class TokenResponse:
    """What the auth endpoint answers: the token and when it expires."""

    token: str
    #: Seconds the token is valid for.
    expires_in: int
    #: Milliseconds since the epoch; always the token's ``exp`` claim times 1000.
    expires_at: int

    def as_dict(self) -> dict[str, Any]:
        """The JSON body the browser client expects."""
        return {"token": self.token, "expiresIn": self.expires_in, "expiresAt": self.expires_at}

    def to_json(self) -> bytes:
        """:meth:`as_dict` serialised as compact UTF-8 JSON (the token is base64url and dots,
        so it needs no escaping)."""
        return (
            f'{{"token":"{self.token}","expiresIn":{self.expires_in},'
            f'"expiresAt":{self.expires_at}}}'
        ).encode()

    def __repr__(self) -> str:
        # The token is a credential: keep it out of logs that repr() objects.
        return (
            f"TokenResponse(token=<hidden>, expires_in={self.expires_in}, "
            f"expires_at={self.expires_at})"
        )
