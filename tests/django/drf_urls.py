"""The DRF view, with the project's authentication classes and with token and JWT ones."""

from __future__ import annotations

from django.urls import path
from rest_framework.authentication import SessionAuthentication, TokenAuthentication

from relaybox_integrations.django.rest_framework import RelayboxAuthAPIView

from .conftest import HAS_SIMPLEJWT

# Header-based classes first: DRF answers a bad credential 401 with their WWW-Authenticate.
classes: list[type] = [TokenAuthentication]
if HAS_SIMPLEJWT:
    from rest_framework_simplejwt.authentication import JWTAuthentication

    classes.append(JWTAuthentication)
classes.append(SessionAuthentication)


class AnyAuthView(RelayboxAuthAPIView):
    authentication_classes = classes


urlpatterns = [
    path("auth", RelayboxAuthAPIView.as_view(), name="drf-auth"),
    path("any-auth", AnyAuthView.as_view(), name="drf-any-auth"),
]
