"""One call to a Relaybox service (state or auth), as the official ``@relaybox/rest`` makes it.

:class:`~relaybox_integrations.rooms.Rooms` and :class:`~relaybox_integrations.users.Users`
build each call's method, path, headers and body, and read its answer; this module sends it
and turns a refusal into :class:`~relaybox_integrations.ServiceError`. Each call is one flow,
driven by :func:`~relaybox_integrations.flow.run` or :func:`~relaybox_integrations.flow.arun`
over the same transports, timeout and retries as publishing. What may have been applied is
never sent again: a call that changes state is retried only when it never went out, a read
also on a gateway's 502, 503 or 504.

The official library reads every answer as JSON and crashes on one that is not; here such
an answer is a :class:`~relaybox_integrations.ServiceError` like any other, with its text.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Final
from urllib.parse import quote

from .errors import ServiceError, ServiceOutcomeUnknownError, ServiceRequestError
from .flow import Flow
from .retry import RETRY_STATUSES, GaveUp, attempts
from .transport import (
    USER_AGENT,
    AnswerTooLong,
    AsyncHTTPTransport,
    HTTPTransport,
    NotSent,
    Request,
    Response,
)

__all__ = ["BODY_EXCERPT", "DEFAULT_MESSAGE", "Service", "ServiceAnswer"]

#: How much of an unexpected answer an error message quotes.
BODY_EXCERPT: Final = 500
#: The official library's message when an error answer has none.
DEFAULT_MESSAGE: Final = "Service request failed"
_NO_RETRY: Final[frozenset[int]] = frozenset()
# JSON.stringify's output: compact, non-ASCII as is.
_JSON = json.JSONEncoder(separators=(",", ":"), ensure_ascii=False, allow_nan=False)
# Kept as is in a path segment: what WHATWG URL leaves alone there (so that every room id,
# and every ordinary client id, goes out as the official library sends it), less "/", "\",
# "%", "[", "]", "^" and "|", which are escaped so that the service reads the value itself.
_SEGMENT_SAFE: Final = "!$&'()*+,;=:@"
# In a query value: the same, less "&", "=", "+" and "'", which would change the query.
_QUERY_SAFE: Final = "!$()*,;:@/?"


@dataclass(frozen=True)
class ServiceAnswer:
    """A successful answer whose shape the official library leaves untyped: its status and
    its decoded JSON (None when the body was empty)."""

    status: int
    data: Any


def encode_json(value: dict[str, Any]) -> bytes:
    """``value`` as ``JSON.stringify`` writes it, in UTF-8 (its strings checked already)."""
    return _JSON.encode(value).encode()


def text(argument: str, value: object, *, optional: bool = False) -> str | None:
    """A non-empty str that UTF-8 can carry (or None, when ``optional``); never quoted back,
    since it may be a password."""
    if value is None and optional:
        return None
    if not isinstance(value, str) or not value:
        shown = "an empty str" if value == "" else type(value).__name__
        raise ServiceRequestError(
            argument,
            f"{argument} must be a non-empty str{' or None' if optional else ''}; got {shown}",
        )
    return utf8(argument, value)


def utf8(argument: str, value: str) -> str:
    """``value``, once it is known to be valid Unicode (no lone surrogate)."""
    try:
        value.encode()
    except UnicodeEncodeError:  # text decoded with errors="surrogateescape", often
        raise ServiceRequestError(
            argument, f"{argument} contains a lone surrogate, which cannot be sent as UTF-8"
        ) from None
    return value


def choice(argument: str, value: object, allowed: tuple[str, ...]) -> str:
    """One of ``allowed``, which the service's types name."""
    if not isinstance(value, str) or value not in allowed:
        shown = repr(value)[:80] if isinstance(value, str) else type(value).__name__
        raise ServiceRequestError(
            argument, f"{argument} must be one of {', '.join(allowed)}; got {shown}"
        )
    return value


def segment(argument: str, value: str) -> str:
    """``value`` as one path segment."""
    if value in (".", ".."):  # a URL reads these as "here" and "up": no segment can hold them
        raise ServiceRequestError(argument, f"{argument} cannot be {value!r} in a URL path")
    return quote(value, safe=_SEGMENT_SAFE)


def query_value(value: str) -> str:
    """``value`` in a query string."""
    return quote(value, safe=_QUERY_SAFE)


def bearer(auth_token: object) -> str:
    """The ``Authorization`` header for ``auth_token``; the token is never quoted back."""
    if not isinstance(auth_token, str) or not auth_token:
        shown = "empty" if auth_token == "" else f"a {type(auth_token).__name__}"
        raise ServiceRequestError("auth_token", f"auth_token must be a non-empty str; got {shown}")
    if auth_token.startswith(("Bearer ", "bearer ")):
        raise ServiceRequestError(
            "auth_token", "auth_token starts with 'Bearer ': pass the token alone"
        )
    if not (auth_token.isascii() and auth_token.isprintable()) or " " in auth_token:
        raise ServiceRequestError(
            "auth_token",
            f"auth_token ({len(auth_token)} characters) has spaces or characters that "
            "cannot travel in an HTTP header; a Relaybox token is base64url and dots",
        )
    return f"Bearer {auth_token}"


#: What :func:`_decoded` gives for a body that is not JSON.
_NOT_JSON: Final = object()


def _decoded(body: bytes) -> Any:
    """The JSON in ``body``: None when it is empty, :data:`_NOT_JSON` when it is not JSON."""
    if not body.strip():
        return None
    try:
        return json.loads(body)
    except (ValueError, RecursionError):  # not JSON (nor UTF-8), or nested too deeply
        return _NOT_JSON


def _falsy_in_javascript(value: object) -> bool:
    """Whether JavaScript's ``||`` would pass over ``value`` (``err.data || null``)."""
    if value is None or value is False or value == "":
        return True
    return type(value) in (int, float) and (value == 0 or value != value)


class Service:
    """One Relaybox service: its URL, the transports, the timeout and the retries.

    ``label`` names it in errors (``"state service"``) and ``option`` is the setting its
    URL comes from (``"state_url"``), for the hint in an error about a wrong address.
    """

    def __init__(
        self,
        *,
        label: str,
        option: str,
        url: str,
        timeout: float,
        retries: int,
        transport: HTTPTransport,
        async_transport: AsyncHTTPTransport,
    ) -> None:
        self.label = label
        self.option = option
        self.url = url
        self._timeout = timeout
        self._retries = retries
        self._transport = transport
        self._async_transport = async_transport
        #: Waits between attempts; replaceable so tests can act during the wait.
        self.sleep: Callable[[float], None] = time.sleep
        self.async_sleep: Callable[[float], Any] = asyncio.sleep

    def __repr__(self) -> str:
        return f"Service({self.label!r}, url={self.url!r})"

    def __reduce__(self) -> Any:
        raise TypeError("Service objects cannot be pickled; they hold open connections")

    def call(
        self,
        method: str,
        path: str,
        headers: Mapping[str, str],
        body: bytes | None,
        *,
        token: str,
        asynchronous: bool,
    ) -> Flow[ServiceAnswer]:
        """Send one call and return its answer, or raise
        :class:`~relaybox_integrations.ServiceError`.

        ``token`` is the auth token the headers carry, kept out of every error message even
        where the answer quotes it back.
        """
        headers = {**headers, "User-Agent": USER_AGENT}  # as fetch names itself, and publishing
        request = Request(method, self.url + path, headers, body, self._timeout)
        read = method == "GET"
        try:
            answered = yield from attempts(
                lambda: request,
                self._async_transport.handle_async if asynchronous else self._transport.handle,
                self.async_sleep if asynchronous else self.sleep,
                retries=self._retries,
                retry_statuses=RETRY_STATUSES if read else _NO_RETRY,
            )
        except GaveUp as gave_up:
            raise self._no_answer(request, gave_up, read) from None
        response = answered.response
        data = _decoded(response.body)
        if data is _NOT_JSON or not 200 <= response.status < 300:
            raise self._refused(request, response, answered.attempts, token, read, data)
        return ServiceAnswer(response.status, data)

    def unexpected(
        self, method: str, path: str, answer: ServiceAnswer, expected: str, token: str
    ) -> ServiceError:
        """The error for a successful answer that is not what the service sends."""
        shown = _hider(token)(json.dumps(answer.data, ensure_ascii=False))
        return ServiceError(
            f"Relaybox's {self.label} answered HTTP {answer.status} to {method} {self.url}"
            f"{path} with {shown[:BODY_EXCERPT]}, not {expected}: is {self.option} right?",
            method=method,
            url=self.url + path,
            status=answer.status,
            body=shown,
        )

    # --- errors ----------------------------------------------------------------------------

    def _no_answer(self, request: Request, gave_up: GaveUp, read: bool) -> ServiceError:
        failure, attempts_made = gave_up.failure, gave_up.attempts
        where = f"{request.method} {request.url}"
        if isinstance(failure, NotSent):
            return ServiceError(
                f"could not reach Relaybox's {self.label} for {where}: {failure} "
                f"({attempts_made} attempt{'s' if attempts_made > 1 else ''}; the request never "
                "went out, nothing was changed)",
                method=request.method,
                url=request.url,
                attempts=attempts_made,
            )
        reason = str(failure)
        if isinstance(failure, AnswerTooLong):
            reason += f" (Relaybox's answers are small JSON objects: is {self.option} right?)"
        if read:
            return ServiceError(
                f"no answer from Relaybox's {self.label} to {where}: {reason} (attempt "
                f"{attempts_made}, timeout {self._timeout:g} s)",
                method=request.method,
                url=request.url,
                attempts=attempts_made,
            )
        return ServiceOutcomeUnknownError(
            f"{where} may or may not have been applied by Relaybox's {self.label}: {reason} "
            f"after the request went out (attempt {attempts_made}, timeout {self._timeout:g} "
            "s). It was not sent again; read the state to find out",
            method=request.method,
            url=request.url,
            attempts=attempts_made,
        )

    def _refused(
        self,
        request: Request,
        response: Response,
        attempts_made: int,
        token: str,
        read: bool,
        decoded: Any,
    ) -> ServiceError:
        """The error for an error answer, or for a successful one that is not JSON."""
        hide = _hider(token)
        body = hide(response.body.decode("utf-8", "replace"))
        status = response.status
        name, message, data = None, DEFAULT_MESSAGE, None
        if isinstance(decoded, dict):
            if isinstance(decoded.get("name"), str):
                name = hide(decoded["name"])
            # API Gateway writes {"Message": ...} for its own refusals.
            given = decoded.get("message") or decoded.get("Message")
            if isinstance(given, str) and given:
                message = hide(given)
            data = None if _falsy_in_javascript(decoded.get("data")) else decoded["data"]
        if decoded is _NOT_JSON:
            said = f"an answer that is not JSON: {body[:BODY_EXCERPT]!r}"
        else:
            said = f"{name}: {message}" if name else message
        applied = not read and 200 <= status < 300  # a success, in words that are not JSON
        if 300 <= status < 400:
            explanation = (
                f" {self.option} redirects (Location: {response.header('Location')}), and "
                "redirects are not followed: the request and its auth token go to "
                f"{self.option} only. If Relaybox's {self.label} has moved there, set "
                f"{self.option} to that address."
            )
        elif status in RETRY_STATUSES:
            explanation = (
                f" A gateway's answer; gave up after {attempts_made} attempts."
                if read
                else " A gateway's answer; not retried, since the change may have been applied."
            )
        elif decoded is _NOT_JSON:
            explanation = f" Is {self.option} right?"
            if applied:
                explanation += " The change may have been applied."
        else:
            explanation = ""
        unknown = applied and decoded is _NOT_JSON
        return (ServiceOutcomeUnknownError if unknown else ServiceError)(
            f"Relaybox's {self.label} answered HTTP {status} to {request.method} {request.url} "
            f"(attempt {attempts_made}): {said}.{explanation}",
            method=request.method,
            url=request.url,
            status=status,
            name=name,
            message=message,
            data=data,
            body=body,
            attempts=attempts_made,
        )


def _hider(token: str) -> Callable[[str], str]:
    """Replaces ``token`` in a text an answer gave (a service, or whatever answers at a wrong
    URL, may echo the request's headers back)."""
    return lambda text: text.replace(token, "<auth token>")
