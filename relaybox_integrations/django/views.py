"""The auth endpoint as Django views: :class:`AuthView` (sync) and :class:`AsyncAuthView`;
the room access endpoint as :class:`RoomAccessView` and :class:`AsyncRoomAccessView`.

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
from django.middleware.csrf import CsrfViewMiddleware
from django.views import View

from ..endpoint import AuthEndpoint
from ..flow import EndpointResponse, json_error
from ..room_access import RoomAccessEndpoint
from .integration import get_integration

__all__ = ["AsyncAuthView", "AsyncRoomAccessView", "AuthView", "RoomAccessView"]


def to_django(response: EndpointResponse) -> HttpResponse:
    """Copy the core's answer into Django's type, without a default Content-Type."""
    answer = HttpResponse(response.body, status=response.status, headers=dict(response.headers))
    if not response.body:  # the empty 204: no text/html Django would otherwise claim
        del answer["Content-Type"]
    return answer


def exempt_from_login_required(view: Callable[..., Any]) -> Callable[..., Any]:
    """Mark ``view`` ``login_not_required`` where Django has that decorator (5.1+)."""
    try:
        from django.contrib.auth.decorators import login_not_required
    except ImportError:  # Django < 5.1: no LoginRequiredMiddleware to opt out of
        return view
    return login_not_required(view)


def request_user(request: HttpRequest) -> Any:
    """``request.user``, or a message naming the missing middleware."""
    try:
        return request.user
    except AttributeError:
        raise ImproperlyConfigured(
            "the Relaybox auth view needs to know the user: add "
            "'django.contrib.auth.middleware.AuthenticationMiddleware' to MIDDLEWARE"
        ) from None


def _load_user(request: HttpRequest) -> Any:
    user = request_user(request)
    getattr(user, "is_authenticated", None)  # evaluates the lazy user (session and ORM read)
    return user


async def _aload_user(request: HttpRequest) -> Any:
    """``await request.auser()``, or the lazy ``request.user`` loaded in a thread (Django 4.2)."""
    auser: Callable[[], Awaitable[Any]] | None = getattr(request, "auser", None)
    if auser is not None:
        return await auser()
    return await sync_to_async(_load_user)(request)


def _no_response(request: HttpRequest) -> HttpResponse:
    raise AssertionError("the CSRF check never calls the view")  # pragma: no cover


def _csrf_rejects(request: HttpRequest) -> bool:
    """Django's CSRF check, as ``CsrfViewMiddleware`` runs it (and as DRF runs it)."""
    check = CsrfViewMiddleware(_no_response)
    check.process_request(request)
    return check.process_view(request, _no_response, (), {}) is not None


_CSRF_FAILED = json_error(
    403,
    "csrf_failed",
    "CSRF check failed: send the csrftoken cookie's value in an X-CSRFToken header "
    "(the browser client's authHeaders).",
)


class AuthView(View):
    """GET or POST: the token response for ``request.user``; OPTIONS 204; others 405."""

    @classmethod
    def as_view(cls, **initkwargs: Any) -> Callable[..., Any]:
        view = super().as_view(**initkwargs)
        # The middleware must not answer a PUT with a CSRF failure; dispatch checks POSTs.
        view.csrf_exempt = True  # type: ignore[attr-defined]
        return exempt_from_login_required(view)

    #: The core endpoint's answer to a method that mints nothing (OPTIONS, PUT...).
    reject_method = staticmethod(AuthEndpoint.reject_method)

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> Any:
        method = request.method or ""
        # Before the user lookup: a preflight or a wrong method never reads the session.
        answer = self.reject_method(method)
        if answer is None and method == "POST" and _csrf_rejects(request):
            answer = _CSRF_FAILED  # JSON, not Django's HTML page
        if answer is not None:
            return self.reply(to_django(answer))
        return self.answer(request, method, **kwargs)

    def reply(self, response: HttpResponse) -> Any:
        """``response``, in the call style (sync or async) the view runs in."""
        return response

    def answer(self, request: HttpRequest, method: str) -> Any:
        endpoint = get_integration().endpoint
        return to_django(endpoint.respond(method, request, lambda: _load_user(request)))


class AsyncAuthView(AuthView):
    """:class:`AuthView` for ASGI: loads the user with ``request.auser()``, hooks in threads."""

    view_is_async = True

    def reply(self, response: HttpResponse) -> Any:
        async def answer() -> HttpResponse:
            return response

        return answer()

    async def answer(self, request: HttpRequest, method: str) -> HttpResponse:
        endpoint = get_integration().async_endpoint
        return to_django(await endpoint.arespond(method, request, lambda: _aload_user(request)))


def no_room_access() -> HttpResponse:
    return to_django(
        json_error(
            404,
            "not_found",
            "This server grants no Relaybox room access: RELAYBOX['CAN_JOIN_ROOM_HOOK'] is "
            "not set.",
        )
    )


class RoomAccessView(AuthView):
    """GET or POST ``rooms/<room_id>/access``: a room access token for ``request.user`` if
    ``RELAYBOX['CAN_JOIN_ROOM_HOOK']`` lets them join ``room_id``; OPTIONS 204; others 405.

    Answers like :class:`AuthView` (the same CSRF check on POST); the flow and its answers
    are :mod:`relaybox_integrations.room_access`'s. Without the hook: 404 JSON.
    """

    reject_method = staticmethod(RoomAccessEndpoint.reject_method)

    def answer(self, request: HttpRequest, method: str, room_id: str = "") -> Any:
        endpoint = get_integration().room_access
        if endpoint is None:
            return no_room_access()
        answer = endpoint.respond(method, request, room_id, lambda: _load_user(request))
        return to_django(answer)


class AsyncRoomAccessView(RoomAccessView):
    """:class:`RoomAccessView` for ASGI: loads the user with ``request.auser()``, hooks in
    threads."""

    view_is_async = True
    reply = AsyncAuthView.reply

    async def answer(self, request: HttpRequest, method: str, room_id: str = "") -> HttpResponse:
        endpoint = get_integration().async_room_access
        if endpoint is None:
            return no_room_access()
        answer = await endpoint.arespond(method, request, room_id, lambda: _aload_user(request))
        return to_django(answer)
