"""Relaybox auth endpoint for FastAPI applications.

Built on :mod:`relaybox_integrations.starlette` (FastAPI is Starlette): the same issuer
answers, with the user coming from a FastAPI dependency instead of ``request.user``::

    app.include_router(relaybox_router(dependency=current_user, api_key=KEY), prefix="/user")

``current_user`` returns the logged-in user (or its client id), or None when anonymous. To
mint tokens in your own routes, add :class:`~relaybox_integrations.starlette.RelayBoxMiddleware`
and depend on :func:`~relaybox_integrations.starlette.get_issuer`.
"""

# No "from __future__ import annotations": FastAPI reads the endpoint's annotations at
# runtime, and they refer to the closure's ``dependency``.
from collections.abc import Callable
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response
from pydantic import BaseModel, ConfigDict, Field

from ..errors import ConfigurationError
from ..starlette import (
    AccessDenied,
    MissingMiddlewareError,
    RelayBoxIssuer,
    RelayBoxMiddleware,
    RelayBoxWebhooks,
    get_issuer,
    get_relaybox,
    relaybox_routes,
    relaybox_webhook_routes,
)
from ..webhooks import WEBHOOK_ID_HEADER, WEBHOOK_SIGNATURE_HEADER
from .auth_tokens import RelayBoxBearer

__all__ = [
    "AccessDenied",
    "ErrorBody",
    "MissingMiddlewareError",
    "RelayBoxBearer",
    "RelayBoxIssuer",
    "RelayBoxMiddleware",
    "RelayBoxWebhooks",
    "TokenBody",
    "WebhookAnswer",
    "WebhookBody",
    "get_issuer",
    "get_relaybox",
    "relaybox_router",
    "relaybox_webhook_router",
]


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


_NO_STORE = {
    "Cache-Control": {
        "description": "Every answer is a credential or must not outlive a login.",
        "schema": {"type": "string", "const": "no-store"},
    }
}


def _error(description: str) -> dict[str, Any]:
    return {"model": ErrorBody, "description": description, "headers": _NO_STORE}


def relaybox_router(
    issuer: RelayBoxIssuer | None = None,
    *,
    dependency: Callable[..., Any],
    path: str = "/auth",
    name: str = "relaybox_auth",
    **options: Any,
) -> APIRouter:
    """An ``APIRouter`` serving the auth endpoint at ``path``.

    ``dependency`` is a FastAPI dependency returning the current user (an object with
    ``is_authenticated`` True and an ``identity`` or ``id``), its client id, or None when
    anonymous. ``options`` are
    :class:`~relaybox_integrations.starlette.RelayBoxIssuer`'s (``api_key=`` and the rest), or
    pass a ready ``issuer``. GET and POST appear in the OpenAPI schema; other methods get the
    shared 405 answer.
    """
    relaybox = RelayBoxIssuer.from_options(issuer, **options)
    if relaybox.has_user_loader:
        raise ConfigurationError(
            "load_user",
            "load_user: relaybox_router takes the user from dependency=; "
            "configure one or the other",
        )
    if not callable(dependency):
        raise ConfigurationError(
            "dependency",
            f"dependency: expected a FastAPI dependency (a function); got {dependency!r}",
        )

    endpoint = relaybox.endpoint

    async def relaybox_auth(
        request: Request, user: Annotated[Any, Depends(dependency)]
    ) -> Response:
        answer = await endpoint.arespond(request.method, request, lambda: user)
        return Response(answer.body, status_code=answer.status, headers=dict(answer.headers))

    responses: dict[int | str, dict[str, Any]] = {
        200: {"description": "A token for the session user.", "headers": _NO_STORE},
        403: _error("A permissions hook refused this user."),
        500: _error("A hook returned something unusable (a server bug); the log says why."),
    }
    if not relaybox.endpoint.allow_anonymous:
        responses[401] = _error("Not logged in.")
    router = APIRouter()
    # One route per method: each gets its own OpenAPI operation id; url_path_for(name)
    # finds the GET one.
    for method, route_name in (("GET", name), ("POST", f"{name}:post")):
        router.add_api_route(
            path,
            relaybox_auth,
            methods=[method],
            name=route_name,
            response_model=TokenBody,
            responses=responses,
            summary="Relaybox auth token",
            description="A short-lived token for the current user; never cached (no-store).",
        )
    # OPTIONS and every other method: the shared answers (204, 405 with Allow), never
    # reaching the dependency. GET and POST match the route above first.
    router.routes.extend(relaybox_routes(relaybox, path=path, name=f"{name}:other_methods"))
    return router


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


def relaybox_webhook_router(
    webhooks: RelayBoxWebhooks | None = None,
    *,
    path: str = "/relaybox/webhooks",
    name: str = "relaybox_webhooks",
    **options: Any,
) -> APIRouter:
    """An ``APIRouter`` receiving Relaybox webhooks at ``path``, documented in OpenAPI.

    ``webhooks`` or its options (``signing_key=``, ``handlers=``, ``store=``...), as
    :func:`~relaybox_integrations.starlette.relaybox_webhook_routes` takes them.
    """
    if webhooks is None:
        webhooks = RelayBoxWebhooks(**options)
    elif options:
        raise ConfigurationError(
            next(iter(options)), "pass either webhooks= or its options, not both"
        )
    answer = webhooks.respond

    async def relaybox_webhooks(request: Request) -> Response:
        return await answer(request)

    retried = "Relaybox retries the delivery."
    final = "Final: Relaybox does not retry."
    router = APIRouter()
    router.add_api_route(
        path,
        relaybox_webhooks,
        methods=["POST"],
        name=name,
        response_model=WebhookAnswer,
        summary="Relaybox webhook",
        description=(
            f"A delivery from Relaybox, signed in the {WEBHOOK_SIGNATURE_HEADER} header "
            "(lowercase hex HMAC-SHA256 of the RFC 8785 canonical body). Each event id is "
            "handled once, however often it is delivered."
        ),
        responses={
            200: {"description": "Handled, already handled, or no handler for the event."},
            400: _error(f"The body is not a Relaybox webhook. {final}"),
            403: _error(f"A missing or wrong signature, or a stale timestamp. {final}"),
            413: _error(f"The body is over the size limit. {final}"),
            500: _error(f"A handler failed. {retried}"),
            503: _error(f"Another attempt is running, or the store failed. {retried}"),
        },
        openapi_extra={
            "parameters": [
                {"name": header, "in": "header", "required": required, "schema": {"type": "string"}}
                for header, required in (
                    (WEBHOOK_SIGNATURE_HEADER, True),
                    (WEBHOOK_ID_HEADER, False),
                )
            ],
            "requestBody": {
                "required": True,
                "content": {"application/json": {"schema": WebhookBody.model_json_schema()}},
            },
        },
    )
    router.routes.extend(relaybox_webhook_routes(webhooks, path=path, name=f"{name}:other_methods"))
    return router
