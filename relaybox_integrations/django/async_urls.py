"""Like ``relaybox_integrations.django.urls``, routing the async view, for ASGI projects.

``path("user/", include("relaybox_integrations.django.async_urls"))``; also ``relaybox:auth``.
"""

from __future__ import annotations

from django.urls import path

from .views import AsyncAuthView

app_name = "relaybox"

urlpatterns = [path("auth", AsyncAuthView.as_view(), name="auth")]
