"""URLs of the Django configuration contract: the real auth views, and a view that fails
while the Relaybox objects are its local variables."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.urls import include, path

from relaybox_integrations import ApiKey
from relaybox_integrations.django.conf import setting
from relaybox_integrations.django.integration import get_integration
from relaybox_integrations.django.views import AsyncAuthView


def failing_view(request: HttpRequest) -> HttpResponse:
    """Mints a token, then fails: the debug page shows every local variable here."""
    integration = get_integration()
    relaybox = integration.relaybox
    endpoint = integration.endpoint
    token_response = relaybox.generate_token_response(client_id="1")
    answer = endpoint.respond("GET", request, lambda: "1")
    api_key = ApiKey(setting("API_KEY"))
    options = setting
    raise RuntimeError(f"failed after {token_response!r}, {answer.status}, {api_key}, {options}")


urlpatterns = [
    path("user/", include("relaybox_integrations.django.urls")),
    path("async/auth", AsyncAuthView.as_view()),
    path("fail", failing_view),
]
