"""URLs under WSGI: ``/``, ``/login``, ``/logout``, ``/user/auth``, ``/user/me``,
``/messages`` and the webhook endpoint with the list of what it received."""

from django.urls import include, path

from relaybox_integrations.django.webhooks import WebhookView

from . import views

urlpatterns = [
    path("", views.home, name="home"),
    path("login", views.SharedPageLoginView.as_view(), name="login"),
    path("logout", views.logout_view, name="logout"),
    path("user/", include("relaybox_integrations.django.urls")),
    path("user/me", views.me, name="me"),
    path("messages", views.post_message, name="messages"),
    path("relaybox/webhooks", WebhookView.as_view(), name="relaybox_webhooks"),
    path("relaybox/webhooks/received", views.received_webhooks, name="received_webhooks"),
]
