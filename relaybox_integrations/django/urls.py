"""``path("user/", include("relaybox_integrations.django.urls"))`` serves ``/user/auth``.

The view is named ``relaybox:auth``.
"""

from __future__ import annotations

from django.urls import path

from .views import AuthView

app_name = "relaybox"

urlpatterns = [path("auth", AuthView.as_view(), name="auth")]
