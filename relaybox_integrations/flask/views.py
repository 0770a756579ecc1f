"""Flask's side of the package's endpoints: each request handed to its flow, each answer
turned into a Flask response, and 4xx errors raised before a view runs answered as JSON.

The extension routes its views here with what each needs; nothing here looks up the
application's state.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import Response, current_app, request
from werkzeug.exceptions import HTTPException

from ..endpoint import AuthEndpoint
from ..flow import EndpointResponse, json_error
from ..room_access import RoomAccessEndpoint
from ..webhooks import WEBHOOK_SIGNATURE_HEADER, WebhookEndpoint
from .signals import token_issued

try:
    from flask_wtf.csrf import CSRFError  # type: ignore[import-untyped,import-not-found,unused-ignore]
except ImportError:  # Flask-WTF is optional
    CSRFError = None

__all__ = [
    "auth_response",
    "json_http_error",
    "room_access_response",
    "send_token_issued",
    "webhook_response",
]

_NO_ROOM_ACCESS = json_error(
    404,
    "not_found",
    "This server grants no Relaybox room access: register a hook with @relaybox.can_join_room.",
)


def auth_response(
    endpoint: AuthEndpoint, load_user: Callable[[], Any], why_anonymous: Callable[[], str]
) -> Response:
    """The auth endpoint's answer to this request; in debug mode a 401 says why."""
    answer = endpoint.respond(
        request.method,
        request._get_current_object(),  # type: ignore[attr-defined]
        load_user,
    )
    if answer.status == 401 and current_app.debug:
        answer = json_error(401, "not_authenticated", why_anonymous())
    return _to_flask(answer)


def room_access_response(
    endpoint: RoomAccessEndpoint | None, room_id: str, load_user: Callable[[], Any]
) -> Response:
    """The room access endpoint's answer for ``room_id``; 404 JSON without a hook
    (``endpoint`` None)."""
    if endpoint is None:
        return _to_flask(_NO_ROOM_ACCESS)
    answer = endpoint.respond(
        request.method,
        request._get_current_object(),  # type: ignore[attr-defined]
        room_id,
        load_user,
    )
    return _to_flask(answer)


def webhook_response(webhooks: WebhookEndpoint) -> Response:
    """The webhook endpoint's answer, the body read no further than its limit."""
    refused = webhooks.reject_before_reading(request.method, request.content_length)
    if refused is not None:
        return _to_flask(refused)
    # At most one byte over the limit: enough to tell an oversized chunked body.
    body = request.stream.read(webhooks.max_body_size + 1)
    signature = request.headers.get(WEBHOOK_SIGNATURE_HEADER)
    return _to_flask(webhooks.handle("POST", body, signature))


def send_token_issued(
    request: Any, user: Any, client_id: str | None, expires_in: int, permissions: Any
) -> None:
    """Send :data:`~relaybox_integrations.flask.token_issued` from the current application."""
    if token_issued.receivers:
        token_issued.send(
            current_app._get_current_object(),  # type: ignore[attr-defined]
            request=request,
            user=user,
            client_id=client_id,
            expires_in=expires_in,
            permissions=permissions,
        )


def json_http_error(error: HTTPException) -> Response | HTTPException:
    """A 4xx raised before the view runs (Flask-WTF's CSRF check, say), as JSON.

    The browser client shows the body in the console; an HTML page helps nobody there.
    """
    if error.code is None or not 400 <= error.code < 500:
        return error
    if CSRFError is not None and isinstance(error, CSRFError):
        code = "csrf_failed"
    else:
        code = error.name.lower().replace(" ", "_")
    return _to_flask(json_error(error.code, code, error.description or error.name))


def _to_flask(answer: EndpointResponse) -> Response:
    response = Response(answer.body, status=answer.status, headers=list(answer.headers))
    if not answer.body:  # the empty 204: no text/html Flask would otherwise claim
        del response.headers["Content-Type"]
    return response
