"""The test project's URLs: the auth and webhook views, sync and async, and the DRF views."""

from __future__ import annotations

from django.urls import include, path

from relaybox_integrations.django.webhooks import AsyncWebhookView, WebhookView
from tests.support.django_settings import HAS_DRF

urlpatterns = [
    path("user/", include("relaybox_integrations.django.urls")),
    path("async/", include("relaybox_integrations.django.async_urls", namespace="relaybox-async")),
    path("relaybox/webhooks", WebhookView.as_view()),
    path("async/relaybox/webhooks", AsyncWebhookView.as_view()),
]
if HAS_DRF:
    urlpatterns.append(path("drf/", include("tests.django.drf_urls")))
