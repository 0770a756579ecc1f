"""What FastAPI's OpenAPI schema says the Relaybox endpoints answer: the bodies, and the
responses each router documents. The endpoints write their bodies themselves; these models
only describe them."""

# No "from __future__ import annotations": pydantic reads the fields' annotations at runtime.

from typing import Any

from pydantic import BaseModel, ConfigDict, Field

__all__ = ["NO_STORE", "ErrorBody", "TokenBody", "WebhookAnswer", "WebhookBody", "error_response"]


class TokenBody(BaseModel):
    """The 200 answer, as ``@relaybox/client`` reads it."""

    model_config = ConfigDict(extra="forbid")

    token: str = Field(description="The Relaybox auth token (a JWT).")
    expiresIn: int = Field(description="Seconds the token is valid for.")
    expiresAt: int = Field(description="When the token expires, in ms since the epoch.")


class ErrorBody(BaseModel):
    """Every error answer of the auth endpoint."""

    model_config = ConfigDict(extra="forbid")

    error: str = Field(description="A stable error code, e.g. not_authenticated.")
    message: str = Field(description="What went wrong, for the developer.")


class WebhookBody(BaseModel):
    """What Relaybox posts: the body is read raw, so this only documents it."""

    id: str = Field(description="The event's id; the same on every retry (deduplication key).")
    event: str = Field(description="The event's name, e.g. room:join or presence:update.")
    data: Any = Field(description="The event's data.")
    session: dict[str, Any] = Field(description="The session of the connection concerned.")
    timestamp: str = Field(description="When this attempt was sent (ISO 8601, UTC).")


class WebhookAnswer(BaseModel):
    """The answer once a delivery's handlers have run (or had run, or there are none)."""

    model_config = ConfigDict(extra="forbid")

    id: str = Field(description="The delivery's event id.")
    status: str = Field(description="processed, duplicate or ignored.")


#: The header every answer carries, as OpenAPI describes it.
NO_STORE = {
    "Cache-Control": {
        "description": "Every answer is a credential or must not outlive a login.",
        "schema": {"type": "string", "const": "no-store"},
    }
}


def error_response(description: str) -> dict[str, Any]:
    """An error answer's OpenAPI entry: :class:`ErrorBody`, never cached."""
    return {"model": ErrorBody, "description": description, "headers": NO_STORE}
