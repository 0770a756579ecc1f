"""The example's pages: the shared login and home pages, logout, ``/user/me``, the chat's
``POST /messages`` and the list of webhooks received. The auth, room access and webhook views
are the package's own, routed in ``urls.py``; the room access hook is here, and a receiver
adds each delivery to the list."""

import html
from collections.abc import Callable
from pathlib import Path
from typing import Any

import chat
import staff_room
import webhook_demo
from asgiref.sync import sync_to_async
from django.conf import settings
from django.contrib.auth import logout
from django.contrib.auth.decorators import login_required
from django.contrib.auth.views import LoginView
from django.dispatch import receiver
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect, JsonResponse
from django.middleware.csrf import get_token
from django.urls import reverse
from django.views.csrf import csrf_failure as django_csrf_failure

from relaybox_integrations import PublishError, PublishRequestError, WebhookEvent
from relaybox_integrations.django import get_relaybox, webhook_received

try:
    from django.contrib.auth.decorators import login_not_required
except ImportError:  # Django < 5.1: no LoginRequiredMiddleware to opt out of

    def login_not_required(view_func: Callable[..., Any]) -> Callable[..., Any]:
        return view_func


PAGES = Path(__file__).resolve().parents[2] / "common"
HOME = (PAGES / "home.html").read_text(encoding="utf-8")
LOGIN = (PAGES / "login.html").read_text(encoding="utf-8")
#: What the page lists: in Redis with REDIS_URL, so that every worker shows the same list.
RECEIVED = webhook_demo.ReceivedWebhooks(webhook_demo.redis_client())


def fill(page: str, **values: str) -> str:
    """Put HTML-escaped ``values`` in place of the page's ``__NAME__`` placeholders."""
    for name, value in values.items():
        page = page.replace(f"__{name}__", html.escape(value))
    return page


def csrf_input(request: HttpRequest) -> str:
    """The hidden field Django's CSRF middleware checks on the login and logout forms."""
    token = html.escape(get_token(request))
    return f'<input type="hidden" name="csrfmiddlewaretoken" value="{token}">'


class SharedPageLoginView(LoginView):
    """Django's LoginView, rendering the login page all the examples share."""

    def render_to_response(self, context: dict[str, Any], **response_kwargs: Any) -> HttpResponse:
        form = context["form"]
        page = fill(
            LOGIN,
            FRAMEWORK=settings.FRAMEWORK,
            ERROR=" ".join(form.non_field_errors()),
            LOGIN_URL=self.request.get_full_path(),
        ).replace("__CSRF_INPUT__", csrf_input(self.request))
        return HttpResponse(page)


@login_required
def home(request: HttpRequest) -> HttpResponse:
    """The demo page: the official browser client through ``/user/auth``, the chat and the
    webhooks received."""
    relaybox = settings.RELAYBOX
    page = fill(
        HOME,
        FRAMEWORK=settings.FRAMEWORK,
        CSRF_TOKEN=get_token(request),
        USERNAME=request.user.get_username(),
        USER_ID=str(request.user.pk),
        LOGOUT_URL=reverse("logout"),
        AUTH_URL=reverse("relaybox:auth"),
        ROOM_ACCESS_URL=reverse("relaybox:room_access", args=[staff_room.ROOM_ID]),
        STAFF_ROOM_ID=staff_room.ROOM_ID,
        MESSAGES_URL=reverse("messages"),
        WEBHOOK_URL=reverse("relaybox_webhooks"),
        RECEIVED_URL=reverse("received_webhooks"),
        DEVELOPMENT_API_KEY=yes_no(relaybox["API_KEY"] == settings.DEVELOPMENT_API_KEY),
        DEVELOPMENT_SESSION_KEY=yes_no(settings.SECRET_KEY == settings.DEVELOPMENT_SECRET_KEY),
        DEVELOPMENT_WEBHOOK_KEY=yes_no(
            relaybox["WEBHOOK_SIGNING_KEY"] == webhook_demo.DEVELOPMENT_SIGNING_KEY
        ),
        SESSION_KEY_SETTING=settings.SESSION_KEY_SETTING,
        EMULATOR_PORT=settings.RELAYBOX_EMULATOR_PORT,
    ).replace("__CSRF_INPUT__", csrf_input(request))
    return HttpResponse(page)


def can_join_room(request: HttpRequest, user: Any, client_id: str, room_id: str) -> bool:
    """``RELAYBOX["CAN_JOIN_ROOM_HOOK"]``: only staff get a token for the staff room."""
    return staff_room.can_join(room_id, user.is_staff)


def yes_no(flag: bool) -> str:
    return "yes" if flag else "no"


@login_not_required
def logout_view(request: HttpRequest) -> HttpResponse:
    """Log out by POST only, from the page's form (the CSRF middleware checks its token)."""
    refused = _only("POST", request)
    if refused is not None:
        return refused
    logout(request)
    return HttpResponseRedirect(reverse("login"))


def _loaded_user(request: HttpRequest) -> Any:
    user = request.user
    getattr(user, "is_authenticated", None)  # evaluates the lazy user: session, database
    return user


async def _auser(request: HttpRequest) -> Any:
    """The user, without touching the ORM on the event loop."""
    if hasattr(request, "auser"):  # Django 5.0+
        return await request.auser()
    return await sync_to_async(_loaded_user)(request)


def _me(user: Any) -> JsonResponse:
    if not user.is_authenticated:
        return JsonResponse(chat.NOT_LOGGED_IN, status=401)
    return JsonResponse({"id": str(user.pk), "username": user.get_username()})


@login_not_required
def me(request: HttpRequest) -> JsonResponse:
    """The logged-in user as JSON: the same session and user lookup as ``/user/auth``."""
    return _me(request.user)


@login_not_required
async def ame(request: HttpRequest) -> JsonResponse:
    """:func:`me` for ASGI, like the async auth view: no ORM call on the event loop."""
    return _me(await _auser(request))


def _only(method: str, request: HttpRequest) -> JsonResponse | None:
    """The JSON 405 for any other method than ``method``, or None."""
    if request.method == method:
        return None
    return JsonResponse(chat.method_not_allowed(method), status=405, headers={"Allow": method})


def _message(request: HttpRequest, user: Any) -> str | JsonResponse:
    """The chat text to publish for ``user``, or the answer that refuses the request.

    Django's CSRF middleware has already checked the page's ``X-CSRFToken`` header.
    """
    refused = _only("POST", request)
    if refused is not None:
        return refused
    if not user.is_authenticated:
        return JsonResponse(chat.NOT_LOGGED_IN, status=401)
    try:
        text = chat.message_text(request.content_type, request.read(chat.MAX_BODY_BYTES + 1))
        chat.admit(user.pk)
    except chat.BadMessage as exc:
        return JsonResponse(exc.body, status=exc.status, headers=exc.headers)
    return text


def _refused(exc: PublishRequestError | PublishError) -> JsonResponse:
    status, body = chat.refused(exc)
    return JsonResponse(body, status=status)


@login_not_required  # anonymous visitors get 401 JSON, not a redirect to the login page
def post_message(request: HttpRequest) -> JsonResponse:
    """Publish the page's message to the lobby, from the logged-in user.

    Published at once rather than with ``publish_on_commit``: the chat saves nothing, so
    there is no transaction to wait for, and the page shows what Relaybox answered.
    """
    text = _message(request, request.user)
    if isinstance(text, JsonResponse):
        return text
    try:
        result = get_relaybox().publish(
            chat.ROOM_ID, chat.EVENT, chat.data(text), client_id=request.user.pk
        )
    except (PublishRequestError, PublishError) as exc:
        return _refused(exc)
    return JsonResponse(chat.published(result))


@login_not_required
async def apost_message(request: HttpRequest) -> JsonResponse:
    """:func:`post_message` for ASGI: the user loaded off the event loop, the publish awaited."""
    user = await _auser(request)
    text = _message(request, user)
    if isinstance(text, JsonResponse):
        return text
    try:
        result = await get_relaybox().apublish(
            chat.ROOM_ID, chat.EVENT, chat.data(text), client_id=user.pk
        )
    except (PublishRequestError, PublishError) as exc:
        return _refused(exc)
    return JsonResponse(chat.published(result))


@login_not_required
def received_webhooks(request: HttpRequest) -> JsonResponse:
    """The webhook deliveries received, each event id once, for the logged-in user."""
    refused = _only("GET", request)
    if refused is not None:
        return refused
    if not request.user.is_authenticated:
        return JsonResponse(chat.NOT_LOGGED_IN, status=401)
    return JsonResponse({"events": RECEIVED.entries()})


@receiver(webhook_received)
def record_delivery(sender: Any, event: WebhookEvent, **kwargs: Any) -> None:
    """Every verified delivery, once per event id: the webhook view deduplicates.

    Should the list be unavailable (Redis down), this raises, the view answers 500 and
    Relaybox delivers the event again later.
    """
    RECEIVED.record(event)


def csrf_failure(request: HttpRequest, reason: str = "") -> HttpResponse:
    """A refused CSRF check: JSON for the chat, which answers JSON; Django's page for forms."""
    if request.path == reverse("messages"):
        message = "CSRF check failed: send the page's csrf-token in an X-CSRFToken header."
        return JsonResponse({"error": "csrf_failed", "message": message}, status=403)
    return django_csrf_failure(request, reason=reason)
