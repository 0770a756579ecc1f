"""``path("user/", include("relaybox_integrations.django.urls"))`` serves ``/user/auth`` and
``/user/rooms/<room_id>/access``.

The views are named ``relaybox:auth`` and ``relaybox:room_access``.
"""

from __future__ import annotations

from django.urls import path, re_path

from .views import AuthView, RoomAccessView

app_name = "relaybox"
#: Every room id, even one with ``/`` or a newline, reaches the view, which answers a room id
#: Relaybox refuses with 400 JSON rather than Django's HTML 404.
ROOM_ACCESS_ROUTE = r"^rooms/(?P<room_id>[\s\S]+)/access\Z"

urlpatterns = [
    path("auth", AuthView.as_view(), name="auth"),
    re_path(ROOM_ACCESS_ROUTE, RoomAccessView.as_view(), name="room_access"),
]
