"""The DRF view: with the project's authentication classes, with token and JWT ones, and with
the contract suite's stand-in login."""

from __future__ import annotations

from django.urls import path, re_path
from rest_framework.authentication import SessionAuthentication, TokenAuthentication

from relaybox_integrations.django.rest_framework import (
    RelayBoxAuthAPIView,
    RelayBoxRoomAccessAPIView,
)
from tests.contract.django_harness import TestUserAuthentication
from tests.support.django_settings import HAS_SIMPLEJWT

# Header-based classes first: DRF answers a bad credential 401 with their WWW-Authenticate.
classes: list[type] = [TokenAuthentication]
if HAS_SIMPLEJWT:
    from rest_framework_simplejwt.authentication import JWTAuthentication

    classes.append(JWTAuthentication)
classes.append(SessionAuthentication)


class AnyAuthView(RelayBoxAuthAPIView):
    authentication_classes = classes


class TestUserAuthView(RelayBoxAuthAPIView):
    authentication_classes = [TestUserAuthentication]  # noqa: RUF012


class TestUserRoomAccessView(RelayBoxRoomAccessAPIView):
    authentication_classes = [TestUserAuthentication]  # noqa: RUF012


urlpatterns = [
    path("auth", RelayBoxAuthAPIView.as_view(), name="drf-auth"),
    path("any-auth", AnyAuthView.as_view(), name="drf-any-auth"),
    path("test-auth", TestUserAuthView.as_view(), name="drf-test-auth"),
    re_path(
        r"^test/rooms/(?P<room_id>[\s\S]+)/access\Z",
        TestUserRoomAccessView.as_view(),
        name="drf-test-room-access",
    ),
]
