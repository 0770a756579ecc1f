"""The test project's URLs: the sync view, the async view and (with DRF) the DRF views."""

from __future__ import annotations

from django.urls import include, path

from tests.support.django_settings import HAS_DRF

urlpatterns = [
    path("user/", include("relaybox_integrations.django.urls")),
    path("async/", include("relaybox_integrations.django.async_urls", namespace="relaybox-async")),
]
if HAS_DRF:
    urlpatterns.append(path("drf/", include("tests.django.drf_urls")))
