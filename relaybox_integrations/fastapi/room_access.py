"""The room access endpoint on a FastAPI router, documented in OpenAPI.

:func:`~relaybox_integrations.fastapi.relaybox_router` adds it when the issuer has a
``can_join_room`` hook; the user comes from the same ``dependency`` as the auth endpoint's,
and the flow and its answers are :mod:`relaybox_integrations.room_access`'s.
"""

# No "from __future__ import annotations": FastAPI reads the endpoint's annotations at
# runtime, and they refer to the closure's ``dependency``.
from collections.abc import Callable
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response

from ..room_access import RoomAccessEndpoint
from ..starlette.bridge import to_response
from ..starlette.room_access import room_access_route
from .schemas import NO_STORE, TokenBody, error_response

__all__ = ["add_room_access_routes"]

_ROOM_ID_PARAMETER = {
    "name": "room_id",
    "in": "path",
    "required": True,
    "description": "The room to join: letters, digits and - _ : . (as Relaybox accepts).",
    "schema": {"type": "string", "pattern": "^[a-zA-Z0-9\\-_:.]+$"},
}


def add_room_access_routes(
    router: APIRouter,
    endpoint: RoomAccessEndpoint,
    *,
    dependency: Callable[..., Any],
    path: str,
    name: str,
) -> None:
    """GET and POST at ``path`` (in the OpenAPI schema), every other method answered by the
    shared route (204 to OPTIONS, 405 JSON), never reaching ``dependency``."""

    # The room id is read from the path, not declared as a parameter: FastAPI would then
    # document a 422 it never answers (every string reaches the endpoint, which checks it).
    async def relaybox_room_access(
        request: Request, user: Annotated[Any, Depends(dependency)]
    ) -> Response:
        room_id = request.path_params.get("room_id", "")
        answer = await endpoint.arespond(request.method, request, room_id, lambda: user)
        return to_response(answer)

    responses: dict[int | str, dict[str, Any]] = {
        200: {
            "description": "A room access token for the session user and this room.",
            "headers": NO_STORE,
        },
        400: error_response("The room id is not one Relaybox accepts on join."),
        401: error_response("Not logged in."),
        403: error_response("can_join_room refused this user this room."),
        500: error_response("A hook returned something unusable (a server bug); the log says why."),
    }
    for method, route_name in (("GET", name), ("POST", f"{name}:post")):
        router.add_api_route(
            path,
            relaybox_room_access,
            methods=[method],
            name=route_name,
            response_model=TokenBody,
            responses=responses,
            summary="Relaybox room access token",
            openapi_extra={"parameters": [_ROOM_ID_PARAMETER]},
            description=(
                "A short-lived token to join an authorized room (pass it as accessToken to "
                "relayBox.join); never cached (no-store)."
            ),
        )
    router.routes.append(
        room_access_route(endpoint, _never_asked, path=path, name=f"{name}:other_methods")
    )


def _never_asked(request: Request) -> Any:
    raise AssertionError("OPTIONS and refused methods never load the user")  # pragma: no cover
