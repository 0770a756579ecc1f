"""URLs under ASGI: the same pages, with the async auth, chat and webhook views."""

from django.urls import include, path

from relaybox_integrations.django.webhooks import AsyncWebhookView

from . import views

urlpatterns = [
    path("", views.home, name="home"),
    path("login", views.SharedPageLoginView.as_view(), name="login"),
    path("logout", views.logout_view, name="logout"),
    path("user/", include("relaybox_integrations.django.async_urls")),
    path("user/me", views.ame, name="me"),
    path("messages", views.apost_message, name="messages"),
    path("relaybox/webhooks", AsyncWebhookView.as_view(), name="relaybox_webhooks"),
    path("relaybox/webhooks/received", views.received_webhooks, name="received_webhooks"),
]
