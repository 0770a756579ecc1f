"""The auth endpoint as a Django REST framework view, for frontends that log in through DRF.

:class:`RelayBoxAuthAPIView` authenticates with DRF's authentication classes (your
``DEFAULT_AUTHENTICATION_CLASSES``, or ``authentication_classes`` on a subclass: session,
token, JWT...) and answers like :class:`~relaybox_integrations.django.views.AuthView`.
Whether anonymous users get a token is ``RELAYBOX['ALLOW_ANONYMOUS']``'s call, so DRF's
default permission classes do not apply. :class:`RelayBoxRoomAccessAPIView` is the room
access endpoint the same way (``RELAYBOX['CAN_JOIN_ROOM_HOOK']`` decides). DRF is imported
only by this module.
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from rest_framework.request import Request
from rest_framework.views import APIView

from ..endpoint import AuthEndpoint
from ..room_access import RoomAccessEndpoint
from .integration import get_integration
from .views import exempt_from_login_required, no_room_access, to_django

__all__ = ["RelayBoxAuthAPIView", "RelayBoxRoomAccessAPIView"]


class RelayBoxAuthAPIView(APIView):
    """GET or POST: the token response for the user DRF authenticated."""

    permission_classes = ()  # ALLOW_ANONYMOUS decides
    http_method_names = ["get", "post"]  # noqa: RUF012 - Django's own attribute type

    @classmethod
    def as_view(cls, **initkwargs: Any) -> Any:
        # LoginRequiredMiddleware sees only the session user, not DRF's token or JWT user.
        return exempt_from_login_required(super().as_view(**initkwargs))

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        # Before authentication: a preflight or a wrong method never reaches a backend.
        rejected = AuthEndpoint.reject_method(request.method or "")
        if rejected is not None:
            return to_django(rejected)
        return super().dispatch(request, *args, **kwargs)

    def get(self, request: Request, *args: Any, **kwargs: Any) -> HttpResponse:
        endpoint = get_integration().endpoint
        return to_django(endpoint.respond(request.method or "", request, lambda: request.user))

    post = get

    def finalize_response(self, request: Request, response: Any, *args: Any, **kwargs: Any) -> Any:
        response = super().finalize_response(request, response, *args, **kwargs)
        # DRF's own 401/403 answers (a bad token, CSRF) must not be cached either.
        response["Cache-Control"] = "no-store"
        return response


class RelayBoxRoomAccessAPIView(RelayBoxAuthAPIView):
    """GET or POST: a room access token for the user DRF authenticated, for the URL's
    ``room_id``. Route it as ``re_path(ROOM_ACCESS_ROUTE, ...)`` (from
    ``relaybox_integrations.django.urls``), which lets every room id through to be checked.
    """

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        rejected = RoomAccessEndpoint.reject_method(request.method or "")
        if rejected is not None:
            return to_django(rejected)
        return APIView.dispatch(self, request, *args, **kwargs)

    def get(self, request: Request, *args: Any, room_id: str = "", **kwargs: Any) -> HttpResponse:
        endpoint = get_integration().room_access
        if endpoint is None:
            return no_room_access()
        answer = endpoint.respond(request.method or "", request, room_id, lambda: request.user)
        return to_django(answer)

    post = get
