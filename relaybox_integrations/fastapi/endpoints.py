"""The auth endpoint as a FastAPI router: :func:`relaybox_router`, the user from a FastAPI
dependency; the room access endpoint too when the issuer has a ``can_join_room`` hook."""

# No "from __future__ import annotations": FastAPI reads the endpoint's annotations at
# runtime, and they refer to the closure's ``dependency``.
from collections.abc import Callable
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response

from ..errors import ConfigurationError
from ..starlette.endpoints import relaybox_routes
from ..starlette.issuer import RelayBoxIssuer
from ..starlette.room_access import ROOM_ACCESS_PATH
from .room_access import add_room_access_routes
from .schemas import NO_STORE, TokenBody, error_response

__all__ = ["relaybox_router"]


def relaybox_router(
    issuer: RelayBoxIssuer | None = None,
    *,
    dependency: Callable[..., Any],
    path: str = "/auth",
    name: str = "relaybox_auth",
    room_access_path: str = ROOM_ACCESS_PATH,
    room_access_name: str = "relaybox_room_access",
    **options: Any,
) -> APIRouter:
    """An ``APIRouter`` serving the auth endpoint at ``path``, and the room access endpoint
    at ``room_access_path`` when the issuer has a ``can_join_room`` hook (the same
    ``dependency`` says who is asking).

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
        200: {"description": "A token for the session user.", "headers": NO_STORE},
        403: error_response("A permissions hook refused this user."),
        500: error_response("A hook returned something unusable (a server bug); the log says why."),
    }
    if not relaybox.endpoint.allow_anonymous:
        responses[401] = error_response("Not logged in.")
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
    # The auth route only: the room access routes below take the user from ``dependency``.
    router.routes.extend(relaybox_routes(relaybox, path=path, name=f"{name}:other_methods")[:1])
    if relaybox.room_access is not None:
        add_room_access_routes(
            router,
            relaybox.room_access,
            dependency=dependency,
            path=room_access_path,
            name=room_access_name,
        )
    return router
