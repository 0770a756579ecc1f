"""URLs under WSGI: ``/``, ``/login``, ``/logout``, ``/user/auth`` and ``/user/me``."""

from django.urls import include, path

from . import views

urlpatterns = [
    path("", views.home, name="home"),
    path("login", views.SharedPageLoginView.as_view(), name="login"),
    path("logout", views.logout_view, name="logout"),
    path("user/", include("relaybox_integrations.django.urls")),
    path("user/me", views.me, name="me"),
]
