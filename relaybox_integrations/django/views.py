"""The auth endpoint as Django views: :class:`AuthView` (sync) and :class:`AsyncAuthView`.

Both answer alike. Django runs a sync view in a thread under ASGI and an async view in a
one-off event loop under WSGI, and the switch costs time on every request; so use the one
that matches your server: ``urls`` routes :class:`AuthView` (WSGI, and any project), and
``async_urls`` routes :class:`AsyncAuthView` for a fully-async ASGI stack, which looks the
user up with ``request.auser()`` and never touches the ORM on the event loop.

A POST needs Django's CSRF token (the browser client sends it through ``authHeaders``): the
views run ``CsrfViewMiddleware``'s own check themselves, after the method check, so that a
PUT is answered 405 rather than a CSRF failure (DRF's ``APIView`` works the same way).
Both are exempt from ``LoginRequiredMiddleware`` (Django 5.1+), because a ``fetch``
redirected to a login page is no answer: anonymous users get 401 JSON.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from asgiref.sync import sync_to_async
from django.core.exceptions import ImproperlyConfigured
from django.http import HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.middleware.csrf import CsrfViewMiddleware
from django.views import View

from ..endpoint import EndpointResponse, json_error
from .conf import get_config
from .tokens import aissue, issue

__all__ = [
    "AsyncAuthView",
    "AuthView",
    "aget_user",
    "exempt_from_login_required",
    "to_django_response",
]


def to_django_response(response: EndpointResponse) -> HttpResponse:
    """Copy the core's answer (status, JSON body, no-store headers) into Django's type."""
    return HttpResponse(response.body, status=response.status, headers=dict(response.headers))


def exempt_from_login_required(view: Callable[..., Any]) -> Callable[..., Any]:
    """Mark ``view`` ``login_not_required`` where Django has that decorator (5.1+)."""
    try:
        from django.contrib.auth.decorators import login_not_required
    except ImportError:  # Django < 5.1: no LoginRequiredMiddleware to opt out of
        return view
    return login_not_required(view)


def _user(request: HttpRequest) -> Any:
    try:
        return request.user
    except AttributeError:
        raise ImproperlyConfigured(
            "the Relaybox auth view needs to know the user: add "
            "'django.contrib.auth.middleware.AuthenticationMiddleware' to MIDDLEWARE"
        ) from None


def _load_user(request: HttpRequest) -> Any:
    user = _user(request)
    user.is_authenticated  # noqa: B018 - evaluates the lazy user (the session and ORM read)
    return user


def _no_response(request: HttpRequest) -> HttpResponse:
    raise AssertionError("the CSRF check never calls the view")  # pragma: no cover


def _csrf_rejects(request: HttpRequest) -> bool:
    """Django's CSRF check, as ``CsrfViewMiddleware`` runs it (and as DRF runs it)."""
    check = CsrfViewMiddleware(_no_response)
    check.process_request(request)
    return check.process_view(request, _no_response, (), {}) is not None


async def aget_user(request: HttpRequest) -> Any:
    """``await request.auser()``, or the lazy ``request.user`` loaded in a thread (Django 4.2)."""
    auser: Callable[[], Awaitable[Any]] | None = getattr(request, "auser", None)
    if auser is not None:
        return await auser()
    return await sync_to_async(_load_user)(request)


class AuthView(View):
    """GET or POST: the token response for ``request.user``; OPTIONS 204; others 405."""

    # Only these reach the handlers; HEAD, PUT... get the core's JSON 405 in dispatch.
    http_method_names = ["get", "post"]  # noqa: RUF012 - Django's own attribute type

    @classmethod
    def as_view(cls, **initkwargs: Any) -> Callable[..., Any]:
        view = super().as_view(**initkwargs)
        # The middleware must not answer a PUT with a CSRF failure; dispatch checks POSTs.
        view.csrf_exempt = True  # type: ignore[attr-defined]
        return exempt_from_login_required(view)

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> Any:
        # Before the user lookup: a preflight or a wrong method never reads the session.
        rejected = get_config().endpoint.reject_method(request.method or "")
        if rejected is not None:
            return self.reject(to_django_response(rejected))
        if request.method == "POST" and _csrf_rejects(request):
            return self.reject(to_django_response(_CSRF_FAILED))  # JSON, not Django's page
        return super().dispatch(request, *args, **kwargs)

    def reject(self, response: HttpResponseBase) -> Any:
        """``response``, in the call style (sync or async) the view runs in."""
        return response

    def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        return to_django_response(issue(get_config(), request, _user(request), type(self)))

    post = get


class AsyncAuthView(AuthView):
    """:class:`AuthView` for ASGI: loads the user with ``request.auser()``, hooks in threads."""

    async def get(  # type: ignore[override]
        self, request: HttpRequest, *args: Any, **kwargs: Any
    ) -> HttpResponse:
        user = await aget_user(request)
        return to_django_response(await aissue(get_config(), request, user, type(self)))

    post = get  # type: ignore[assignment]

    def reject(self, response: HttpResponseBase) -> Any:
        async def answer() -> HttpResponseBase:
            return response

        return answer()


_CSRF_FAILED = json_error(
    403,
    "csrf_failed",
    "CSRF check failed: send the csrftoken cookie's value in an X-CSRFToken header "
    "(the browser client's authHeaders).",
)
