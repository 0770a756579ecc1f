"""The example's pages: the shared login and home pages, logout, and ``/user/me``."""

import html
from collections.abc import Callable
from pathlib import Path
from typing import Any

from asgiref.sync import sync_to_async
from django.conf import settings
from django.contrib.auth import logout
from django.contrib.auth.decorators import login_required
from django.contrib.auth.views import LoginView
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect, JsonResponse
from django.middleware.csrf import get_token
from django.urls import reverse

try:
    from django.contrib.auth.decorators import login_not_required
except ImportError:  # Django < 5.1: no LoginRequiredMiddleware to opt out of

    def login_not_required(view_func: Callable[..., Any]) -> Callable[..., Any]:
        return view_func


PAGES = Path(__file__).resolve().parents[2] / "common"
HOME = (PAGES / "home.html").read_text(encoding="utf-8")
LOGIN = (PAGES / "login.html").read_text(encoding="utf-8")
FRAMEWORK = "Django"
NOT_LOGGED_IN = {"error": "not_authenticated", "message": "Log in first."}


def fill(page: str, **values: str) -> str:
    """Put HTML-escaped ``values`` in place of the page's ``__NAME__`` placeholders."""
    for name, value in values.items():
        page = page.replace(f"__{name}__", html.escape(value))
    return page


class SharedPageLoginView(LoginView):
    """Django's LoginView, rendering the login page all the examples share."""

    def render_to_response(self, context: dict[str, Any], **response_kwargs: Any) -> HttpResponse:
        form = context["form"]
        csrf_input = (
            '<input type="hidden" name="csrfmiddlewaretoken" '
            f'value="{html.escape(get_token(self.request))}">'
        )
        page = fill(
            LOGIN,
            FRAMEWORK=FRAMEWORK,
            ERROR=" ".join(form.non_field_errors()),
            LOGIN_URL=self.request.get_full_path(),
        ).replace("__CSRF_INPUT__", csrf_input)
        return HttpResponse(page)


@login_required
def home(request: HttpRequest) -> HttpResponse:
    """The demo page: connects the official browser client through ``/user/auth``."""
    page = fill(
        HOME,
        FRAMEWORK=FRAMEWORK,
        CSRF_TOKEN=get_token(request),
        USERNAME=request.user.get_username(),
        LOGOUT_URL=reverse("logout"),
        AUTH_URL=reverse("relaybox:auth"),
        DEVELOPMENT_API_KEY=yes_no(settings.RELAYBOX["API_KEY"] == settings.DEVELOPMENT_API_KEY),
        DEVELOPMENT_SESSION_KEY=yes_no(settings.SECRET_KEY == settings.DEVELOPMENT_SECRET_KEY),
        SESSION_KEY_SETTING=settings.SESSION_KEY_SETTING,
    )
    return HttpResponse(page)


def yes_no(flag: bool) -> str:
    return "yes" if flag else "no"


@login_not_required
def logout_view(request: HttpRequest) -> HttpResponse:
    """Log out on GET too: the shared page links here."""
    logout(request)
    return HttpResponseRedirect(reverse("login"))


def _me(user: Any) -> JsonResponse:
    if not user.is_authenticated:
        return JsonResponse(NOT_LOGGED_IN, status=401)
    return JsonResponse({"id": str(user.pk), "username": user.get_username()})


@login_not_required
def me(request: HttpRequest) -> JsonResponse:
    """The logged-in user as JSON: the same session and user lookup as ``/user/auth``."""
    return _me(request.user)


@login_not_required
async def ame(request: HttpRequest) -> JsonResponse:
    """:func:`me` for ASGI, like the async auth view: no ORM call on the event loop."""
    if hasattr(request, "auser"):  # Django 5.0+
        return _me(await request.auser())
    return await sync_to_async(me)(request)
