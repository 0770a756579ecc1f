"""URLs under ASGI: the same pages, with the async auth view and ``/user/me``."""

from django.urls import include, path

from . import views

urlpatterns = [
    path("", views.home, name="home"),
    path("login", views.SharedPageLoginView.as_view(), name="login"),
    path("logout", views.logout_view, name="logout"),
    path("user/", include("relaybox_integrations.django.async_urls")),
    path("user/me", views.ame, name="me"),
]
