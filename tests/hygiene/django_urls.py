"""URLs of the in-process Django hygiene tests: the real auth views, and a view that fails
while the Relaybox objects are its local variables."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.urls import include, path

from relaybox_integrations import ApiKey
from relaybox_integrations.django.conf import get_config, relaybox_settings
from relaybox_integrations.django.views import AsyncAuthView


def failing_view(request: HttpRequest) -> HttpResponse:
    """Mints a token, then fails: the debug page shows every local variable here."""
    config = get_config()
    relaybox = config.relaybox
    endpoint = config.endpoint
    token_response = relaybox.generate_token_response(client_id="1")
    answer = endpoint.issue("1")
    api_key = ApiKey(relaybox_settings.API_KEY)
    options = relaybox_settings
    raise RuntimeError(f"failed after {token_response!r}, {answer.status}, {api_key}, {options}")


urlpatterns = [
    path("user/", include("relaybox_integrations.django.urls")),
    path("async/auth", AsyncAuthView.as_view()),
    path("fail", failing_view),
]
