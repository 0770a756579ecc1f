"""Relaybox webhooks as a FastAPI router, documented in OpenAPI:
:func:`relaybox_webhook_router`."""

# No "from __future__ import annotations": FastAPI reads the endpoint's annotations at
# runtime.

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response

from ..errors import ConfigurationError
from ..starlette.webhooks import RelayBoxWebhooks, relaybox_webhook_routes
from ..webhooks import WEBHOOK_ID_HEADER, WEBHOOK_SIGNATURE_HEADER
from .schemas import WebhookAnswer, WebhookBody, error_response

__all__ = ["relaybox_webhook_router"]


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
            400: error_response(f"The body is not a Relaybox webhook. {final}"),
            403: error_response(f"A missing or wrong signature, or a stale timestamp. {final}"),
            413: error_response(f"The body is over the size limit. {final}"),
            500: error_response(f"A handler failed. {retried}"),
            503: error_response(f"Another attempt is running, or the store failed. {retried}"),
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
