"""Like ``relaybox_integrations.django.urls``, routing the async views, for ASGI projects.

``path("user/", include("relaybox_integrations.django.async_urls"))``; also ``relaybox:auth``
and ``relaybox:room_access``.
"""

from __future__ import annotations

from django.urls import path, re_path

from .urls import ROOM_ACCESS_ROUTE
from .views import AsyncAuthView, AsyncRoomAccessView

app_name = "relaybox"

urlpatterns = [
    path("auth", AsyncAuthView.as_view(), name="auth"),
    re_path(ROOM_ACCESS_ROUTE, AsyncRoomAccessView.as_view(), name="room_access"),
]
