"""The demo chat every example serves at ``POST /messages``: what a valid message is, and the
JSON each answer carries.

The page posts ``{"text": ...}`` as JSON; the server publishes ``{"text": ...}`` as event
``message`` to room ``demo:lobby``, attributed to the logged-in user (never to an id the
request names), and answers what Relaybox answered. Each framework's view does the login,
CSRF and publishing in its own way; the rules here are the same for all of them.

Each user may publish :data:`BURST` messages at once, then one every :data:`INTERVAL` seconds
(:func:`admit`; see ``rate_limit.py``): past that, a 429 with ``Retry-After``.

Only ``Content-Type: application/json`` is accepted. A form on another site can send a POST
without asking first only as a form or as ``text/plain``; JSON needs a CORS preflight, which
only ``CORS_ALLOWED_ORIGINS`` pass. That is what stands in for CSRF protection in the
Starlette and FastAPI examples, whose frameworks have none.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Hashable
from typing import TYPE_CHECKING, Any

from rate_limit import RateLimit

from relaybox_integrations import PublishError, PublishOutcomeUnknownError, PublishRequestError

if TYPE_CHECKING:
    from relaybox_integrations import PublishResult

ROOM_ID = "demo:lobby"
EVENT = "message"
#: Characters: a chat line, not a document.
MAX_TEXT_LENGTH = 500
#: Bytes read at most: the longest text, each character escaped as JSON, and then some.
MAX_BODY_BYTES = 8 * 1024
NOT_LOGGED_IN = {"error": "not_authenticated", "message": "Log in first."}
#: Messages a user may publish at once, and seconds between messages after that.
BURST = 10
INTERVAL = 3.0
#: What the page says when Relaybox could not be reached at all (the details go to the log).
UNREACHABLE = (
    "Relaybox could not be reached: the chat needs Relaybox's hosted service with your own "
    "RELAYBOX_API_KEY, or the local emulator (`relaybox emulator`, which serve.py starts "
    "when RELAYBOX_API_KEY is unset) with RELAYBOX_CORE_URL pointing at it."
)
_LIMIT = RateLimit(BURST, INTERVAL)
_log = logging.getLogger("relaybox_demo.chat")


def method_not_allowed(method: str) -> dict[str, str]:
    """The JSON 405 body of a view that answers ``method`` only (with ``Allow: method``)."""
    return {"error": "method_not_allowed", "message": f"Use {method}."}


class BadMessage(Exception):
    """A request that is not a chat message; ``status`` and ``body`` are the answer."""

    def __init__(
        self, status: int, error: str, message: str, headers: dict[str, str] | None = None
    ) -> None:
        super().__init__(message)
        self.status = status
        self.body = {"error": error, "message": message}
        self.headers = headers or {}


def message_text(content_type: str | None, body: bytes) -> str:
    """The text of a ``POST /messages`` body read with at most ``MAX_BODY_BYTES + 1`` bytes.

    Raises :class:`BadMessage`: 413 for a body over the limit, 415 for anything but JSON,
    400 for JSON that is not ``{"text": "<1 to 500 characters, not all blank>"}``.
    """
    if len(body) > MAX_BODY_BYTES:
        raise BadMessage(413, "body_too_large", f"Send at most {MAX_BODY_BYTES} bytes.")
    media_type = (content_type or "").split(";", 1)[0].strip().lower()
    if media_type != "application/json":
        raise BadMessage(
            415,
            "unsupported_media_type",
            'Send JSON: Content-Type: application/json, {"text": ...}.',
        )
    try:
        payload = json.loads(body)
    except ValueError:  # UnicodeDecodeError included
        raise BadMessage(400, "invalid_json", "The body is not JSON.") from None
    text = payload.get("text") if isinstance(payload, dict) else None
    if not isinstance(text, str):
        raise BadMessage(400, "invalid_message", 'Send {"text": "your message"}.')
    if not text.strip():
        raise BadMessage(400, "invalid_message", "The message is empty.")
    if len(text) > MAX_TEXT_LENGTH:
        raise BadMessage(
            400, "invalid_message", f"The message is longer than {MAX_TEXT_LENGTH} characters."
        )
    return text


def admit(user_id: Hashable) -> None:
    """Count one message from ``user_id``, or raise :class:`BadMessage` 429 with
    ``Retry-After`` when they have sent too many too fast (nothing is counted then)."""
    wait = _LIMIT.wait(user_id)
    if wait:
        raise BadMessage(
            429,
            "rate_limited",
            f"Too many messages: wait {wait} s before sending another.",
            {"Retry-After": str(wait)},
        )


def data(text: str) -> dict[str, str]:
    """What is published: the text alone (who sent it travels as the message's clientId)."""
    return {"text": text}


def published(result: PublishResult) -> dict[str, Any]:
    """The answer once Relaybox has taken the message: its own answer, as it wrote it."""
    return {"requestId": result.request_id, "timestamp": result.timestamp}


def refused(exc: PublishRequestError | PublishError) -> tuple[int, dict[str, str]]:
    """The status and JSON answer for a message the package or Relaybox refused.

    A text the package will not send (a lone surrogate, say) is the client's fault, 400;
    a refusal or silence from Relaybox is an upstream failure, 502, with its explanation;
    no connection at all is a 502 that says, in one sentence, what the chat needs.
    """
    if isinstance(exc, PublishRequestError):
        return 400, {"error": "invalid_message", "message": exc.message}
    if exc.status is None and not isinstance(exc, PublishOutcomeUnknownError):
        # Nothing went out (no such host, connection refused): the page says what the chat
        # needs; the server's log keeps the details for whoever runs it.
        _log.warning("%s", exc.message)
        return 502, {"error": "relaybox_unreachable", "message": UNREACHABLE}
    return 502, {"error": "publish_failed", "message": exc.message}
