"""Views signed in by a Relaybox user's auth token: plain Django views behind the token
middleware, and DRF views with the token authentication class."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, JsonResponse
from django.urls import path
from django.views.decorators.http import require_POST

from relaybox_integrations.django.views import exempt_from_login_required
from tests.support.django_settings import HAS_DRF


def describe(user: Any) -> dict[str, Any]:
    return {
        "authenticated": bool(user.is_authenticated),
        "username": getattr(user, "username", None),
        "type": type(user).__name__,
    }


@exempt_from_login_required
def whoami(request: HttpRequest) -> JsonResponse:
    relaybox_user = getattr(request, "relaybox_user", None)
    return JsonResponse(
        {**describe(request.user), "relaybox_user_id": getattr(relaybox_user, "user_id", None)}
    )


@login_required
def private(request: HttpRequest) -> JsonResponse:
    return JsonResponse(describe(request.user))


@exempt_from_login_required
@require_POST
def post(request: HttpRequest) -> JsonResponse:
    return JsonResponse(describe(request.user))


urlpatterns = [
    path("whoami", whoami),
    path("private", private),
    path("post", post),
]

if HAS_DRF:
    from rest_framework.authentication import SessionAuthentication
    from rest_framework.permissions import IsAuthenticated
    from rest_framework.request import Request
    from rest_framework.response import Response
    from rest_framework.views import APIView

    from relaybox_integrations.django.rest_framework_auth import RelayBoxTokenAuthentication

    class ApiWhoAmI(APIView):
        authentication_classes = [RelayBoxTokenAuthentication, SessionAuthentication]  # noqa: RUF012
        permission_classes = [IsAuthenticated]  # noqa: RUF012

        def get(self, request: Request) -> Response:
            client_id = getattr(request.auth, "client_id", None)  # None: the session authenticated
            return Response({**describe(request.user), "client_id": client_id})

        def post(self, request: Request) -> Response:
            return self.get(request)

    class DefaultApiWhoAmI(ApiWhoAmI):
        """With the project's ``DEFAULT_AUTHENTICATION_CLASSES``, read at each request (a
        class attribute would keep the ones in force when this module was imported)."""

        def get_authenticators(self) -> list[Any]:
            from rest_framework.settings import api_settings

            return [cls() for cls in api_settings.DEFAULT_AUTHENTICATION_CLASSES]

    urlpatterns += [
        path("api/whoami", exempt_from_login_required(ApiWhoAmI.as_view())),
        path("api/default-whoami", exempt_from_login_required(DefaultApiWhoAmI.as_view())),
    ]
