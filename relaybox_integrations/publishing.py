"""Publishing events to Relaybox rooms over HTTP, as the official ``@relaybox/rest`` does.

``RelayBox.publish`` and ``RelayBox.apublish`` delegate here; the token core loads this
module (through :mod:`~relaybox_integrations.clients`) only when something is first sent,
so minting never loads the publishing machinery (nor aiohttp).

One request per attempt: ``POST {core_url}/events`` with the compact JSON body
``{"event", "roomId", "data", "timestamp", "options"}`` and the headers ``X-Ds-Public-Key``
and ``X-Ds-Req-Signature`` (the lowercase hex HMAC-SHA256 of the exact body bytes, keyed
with the API secret). Every argument is checked before a byte is sent.

This module holds the message and its flow; the requests travel over
:mod:`~relaybox_integrations.transport` (no redirects, one deadline per attempt, at most
``MAX_ANSWER_BYTES`` of an answer read) and are retried as
:mod:`~relaybox_integrations.retry` says (gateway answers, and failures before the request
went out; never one that may have been published).
"""

from __future__ import annotations

import asyncio
import json
import math
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Final

from .errors import (
    PublishError,
    PublishOutcomeUnknownError,
    PublishRequestError,
    TokenRequestError,
)
from .flow import Flow, arun, run
from .options import check_client_id
from .results import PublishResult
from .retry import RETRY_STATUSES, GaveUp, attempts
from .transport import (
    USER_AGENT,
    AnswerTooLong,
    AsyncTransport,
    MaybeSent,
    NotSent,
    Request,
    Response,
    Transport,
)

if TYPE_CHECKING:
    import hmac

__all__ = [
    "MAX_BODY_BYTES",
    "MAX_DEPTH",
    "MAX_SAFE_INTEGER",
    "PublishResult",
    "Publisher",
    "intercept",
]

#: Relaybox refuses WebSocket messages over 64 KiB; its HTTP ``/events`` endpoint sets no
#: limit of its own. A server publish is held to the same size as a client's.
MAX_BODY_BYTES: Final = 64 * 1024
#: Nesting deeper than this in ``data`` is refused (JSON texts that deep are almost always
#: a mistake, and recursion limits differ between the encoder here and the decoders there).
MAX_DEPTH: Final = 64
#: JavaScript reads larger integers as rounded floats: browsers would see another number.
MAX_SAFE_INTEGER: Final = 2**53 - 1
#: How much of an unexpected answer an error message quotes.
BODY_EXCERPT: Final = 500

# One encoder, made once: json.dumps with options builds a new one on every call.
_JSON = json.JSONEncoder(separators=(",", ":"), ensure_ascii=False, allow_nan=False)
_CAUSES_OF_500 = (
    "Relaybox answers 500 to each of these: a signature that does not match (the secret in "
    "RELAYBOX_API_KEY is not this public key's), a timestamp more than 30 s old (check this "
    "machine's clock), an API key it does not know, or a key without 'publish' permission on "
    "room {room!r} (the key's own permissions in the Relaybox dashboard count, not a token's). "
    "It also answers 500 when its own processing takes over 5 s, in which case the event may "
    "still have been published. Not retried: none of the usual causes goes away by itself."
)


class _Invalid(Exception):
    """Raised inside the ``data`` check; collects the path to the bad value on the way out."""

    def __init__(self, problem: str) -> None:
        super().__init__(problem)
        self.problem = problem
        self.path: list[str] = []


def _shown(value: object) -> str:
    """A short repr for an error message (an int of 5,000 digits has none: 3.11's limit)."""
    if isinstance(value, int) and value.bit_length() > 64:
        return f"an integer of {value.bit_length()} bits"
    text = repr(value)
    return text if len(text) <= 80 else text[:77] + "..."


def _check_value(value: object, depth: int) -> None:
    if isinstance(value, str) or value is None or value is True or value is False:
        return
    if isinstance(value, int):
        if -MAX_SAFE_INTEGER <= value <= MAX_SAFE_INTEGER:
            return
        raise _Invalid(
            f"is {_shown(value)}, outside JavaScript's safe integer range "
            f"(±{MAX_SAFE_INTEGER}): browsers would read another number; send it as a string"
        )
    if isinstance(value, float):
        if math.isfinite(value):
            return
        raise _Invalid(f"is {value}; JSON (and so JavaScript's JSON) has no NaN or Infinity")
    if depth >= MAX_DEPTH:
        raise _Invalid(f"is nested more than {MAX_DEPTH} levels deep")
    if isinstance(value, dict):
        for key in value:
            if not isinstance(key, str):
                raise _Invalid(
                    f"has the key {_shown(key)} ({type(key).__name__}); JSON object keys "
                    "must be strings (json.dumps would silently turn it into one)"
                )
        entries: Iterable[tuple[object, object]] = value.items()
    elif isinstance(value, (list, tuple)):
        entries = enumerate(value)
    else:
        raise _Invalid(
            f"is a {type(value).__name__}, which JSON cannot represent; convert it to a str, "
            "number, bool, None, list or dict first"
        )
    for key, item in entries:
        try:
            _check_value(item, depth + 1)
        except _Invalid as error:
            error.path.append(f"[{_shown(key)}]")
            raise


def _check_text(argument: str, value: object) -> str:
    if not isinstance(value, str):
        raise PublishRequestError(argument, f"{argument} must be a str; got {type(value).__name__}")
    if not value:
        raise PublishRequestError(argument, f"{argument} must not be empty")
    return value


def _utf8(text: str, parts: dict[str, str]) -> bytes:
    """``text`` as UTF-8, or the error naming which of ``parts`` holds a lone surrogate."""
    try:
        return text.encode()
    except UnicodeEncodeError:
        argument = next(name for name, part in parts.items() if not _encodable(part))
        raise PublishRequestError(
            argument,
            f"{argument} contains a lone surrogate (often text decoded with "
            "errors='surrogateescape'), which is not valid Unicode and cannot be sent as UTF-8",
        ) from None


def _encodable(text: str) -> bool:
    try:
        text.encode()
    except UnicodeEncodeError:
        return False
    return True


@dataclass(frozen=True)
class _Message:
    """A checked message: the body around its timestamp, which each attempt sets anew."""

    room_id: str
    event: str
    head: bytes
    tail: bytes


#: While set, every :class:`Publisher` in the process sends through these transports instead
#: of its own (see :func:`intercept`).
_interceptors: tuple[Transport, AsyncTransport] | None = None


def intercept(transports: tuple[Transport, AsyncTransport] | None) -> None:
    """Send every publish in the process, from instances built before and after, through
    ``transports`` (sync, async) instead of each publisher's own; None ends it. How
    :func:`relaybox_integrations.testing.capture_publishes` records publishes."""
    global _interceptors
    _interceptors = transports


class Publisher:
    """The publishing half of one ``RelayBox``: checks, signs, sends and retries.

    Built by ``RelayBox`` on first use, from the HMAC it already keyed with the secret, so
    the secret itself is never copied here. Sends through ``transport`` and
    ``async_transport``, which the service calls share. Safe to share between threads;
    ``apublish`` is safe to call concurrently within an event loop.
    """

    def __init__(
        self,
        *,
        public_key: str,
        mac: hmac.HMAC,
        clock: Callable[[], float],
        core_url: str,
        timeout: float,
        retries: int,
        transport: Transport,
        async_transport: AsyncTransport,
    ) -> None:
        self._mac = mac
        self._clock = clock
        self._timeout = timeout
        self._retries = retries
        self._url = core_url + "/events"
        self._base_headers = {
            "Content-Type": "application/json",
            "User-Agent": USER_AGENT,
            "X-Ds-Public-Key": public_key,
        }
        self._transport = transport
        self._async_transport = async_transport
        #: Waits between attempts; replaceable so tests can act during the wait.
        self.sleep: Callable[[float], None] = time.sleep
        self.async_sleep: Callable[[float], Any] = asyncio.sleep

    def __repr__(self) -> str:
        return f"Publisher(core_url={self._url.removesuffix('/events')!r})"

    def __reduce__(self) -> Any:
        raise TypeError("Publisher objects cannot be pickled; they hold the API secret's HMAC")

    # --- checking and signing ------------------------------------------------------------

    def message(
        self, room_id: object, event: object, data: object, client_id: object, transient: object
    ) -> _Message:
        """Check every argument and build the body around its timestamp, or raise
        :class:`~relaybox_integrations.PublishRequestError` naming the argument at fault."""
        room = _check_text("room_id", room_id)
        name = _check_text("event", event)
        options: dict[str, Any] = {}
        if client_id is not None:
            try:
                options["clientId"] = check_client_id(client_id)
            except TokenRequestError as exc:
                raise PublishRequestError("client_id", str(exc)) from None
        if transient is not False:
            if transient is not True:
                raise PublishRequestError(
                    "transient", f"transient must be True or False; got {transient!r}"
                )
            options["transient"] = True
        try:
            _check_value(data, 0)
        except _Invalid as error:
            where = "data" + "".join(reversed(error.path))
            raise PublishRequestError("data", f"{where} {error.problem}") from None
        data_json = _JSON.encode(data)
        options_json = _JSON.encode(options)
        text = (
            f'{{"event":{_JSON.encode(name)},"roomId":{_JSON.encode(room)},"data":{data_json},'
            f'"timestamp":'
        )
        parts = {"room_id": room, "event": name, "data": data_json, "client_id": options_json}
        head = _utf8(text, parts)
        tail = _utf8(f',"options":{options_json}}}', parts)
        size = len(head) + len(tail) + 13  # a millisecond timestamp has 13 digits until 2286
        if size > MAX_BODY_BYTES:
            raise PublishRequestError(
                "data",
                f"the message would be {size} bytes, over the {MAX_BODY_BYTES} that Relaybox "
                "accepts from a client: send a reference (an id or a URL) instead of the content",
            )
        return _Message(room, name, head, tail)

    def signed(self, message: _Message) -> tuple[bytes, dict[str, str]]:
        """The body with the current time, and its headers; made afresh for each attempt."""
        body = message.head + str(int(self._clock() * 1000)).encode() + message.tail
        return body, {**self._base_headers, "X-Ds-Req-Signature": self.signature(body)}

    def _request(self, message: _Message) -> Request:
        body, headers = self.signed(message)
        return Request("POST", self._url, headers, body, self._timeout)

    def signature(self, body: bytes) -> str:
        """``X-Ds-Req-Signature`` for ``body``: the lowercase hex HMAC-SHA256 under the secret
        (also what the emulator checks ``POST /events`` against)."""
        mac = self._mac.copy()
        mac.update(body)
        return mac.hexdigest()

    # --- sending -------------------------------------------------------------------------

    def transmit(self, request: Request) -> Response:
        """One attempt over the sync transport (or the one :func:`intercept` set)."""
        transports = _interceptors
        return (self._transport if transports is None else transports[0]).handle(request)

    async def atransmit(self, request: Request) -> Response:
        """One attempt over the async transport (or the one :func:`intercept` set)."""
        transports = _interceptors
        transport = self._async_transport if transports is None else transports[1]
        return await transport.handle_async(request)

    def publish(
        self, room_id: object, event: object, data: object, client_id: object, transient: object
    ) -> PublishResult:
        message = self.message(room_id, event, data, client_id, transient)
        return run(self._flow(message, self.transmit, self.sleep))

    async def apublish(
        self, room_id: object, event: object, data: object, client_id: object, transient: object
    ) -> PublishResult:
        message = self.message(room_id, event, data, client_id, transient)
        return await arun(self._flow(message, self.atransmit, self.async_sleep))

    def _flow(
        self, message: _Message, transmit: Callable[..., Any], sleep: Callable[[float], Any]
    ) -> Flow[PublishResult]:
        """Send ``message`` until it is answered or retries run out; one flow, sync or async."""
        try:
            answered = yield from attempts(
                lambda: self._request(message),
                transmit,
                sleep,
                retries=self._retries,
                retry_statuses=RETRY_STATUSES,
            )
        except GaveUp as gave_up:
            if isinstance(gave_up.failure, NotSent):
                raise self._unreachable(message, gave_up.failure, gave_up.attempts) from None
            raise self._unknown(message, gave_up.failure, gave_up.attempts) from None
        return self._result(message, answered.response, answered.request.headers, answered.attempts)

    # --- answers -------------------------------------------------------------------------

    def _where(self, message: _Message) -> str:
        return f"event {message.event!r} to room {message.room_id!r} at {self._url}"

    def _unreachable(self, message: _Message, failure: NotSent, attempts: int) -> PublishError:
        return PublishError(
            f"could not publish {self._where(message)}: {failure} ({attempts} attempt"
            f"{'s' if attempts > 1 else ''}; the request never went out, nothing was published)",
            room_id=message.room_id,
            event=message.event,
            attempts=attempts,
        )

    def _unknown(
        self, message: _Message, failure: MaybeSent, attempts: int
    ) -> PublishOutcomeUnknownError:
        if isinstance(failure, AnswerTooLong):
            failure = MaybeSent(
                f"{failure} (Relaybox's is a small JSON object: is core_url right?)"
            )
        return PublishOutcomeUnknownError(
            f"publishing {self._where(message)} may or may not have worked: {failure} after "
            f"the request went out (attempt {attempts}, timeout {self._timeout:g} s). Relaybox "
            "may already have published it, and it has no idempotency key, so it was not "
            "sent again: sending it again could publish it twice",
            room_id=message.room_id,
            event=message.event,
            attempts=attempts,
        )

    def _result(
        self, message: _Message, answer: Response, headers: Mapping[str, str], attempts: int
    ) -> PublishResult:
        text = answer.body.decode("utf-8", "replace")
        excerpt = text[:BODY_EXCERPT]

        def error(explanation: str) -> PublishError:
            return PublishError(
                f"Relaybox answered HTTP {answer.status} to publishing {self._where(message)}"
                f" (attempt {attempts}): {excerpt!r}. {explanation}",
                room_id=message.room_id,
                event=message.event,
                status=answer.status,
                body=text,
                attempts=attempts,
            )

        if 200 <= answer.status < 300:
            try:
                reply = json.loads(text)
                request_id, timestamp = reply["requestId"], reply["timestamp"]
            except (ValueError, TypeError, KeyError):
                raise error(
                    "That is not Relaybox's answer ({requestId, timestamp}): is core_url "
                    "right? The event may have been published."
                ) from None
            if isinstance(request_id, str) and type(timestamp) is int:
                return PublishResult(request_id=request_id, timestamp=timestamp)
            raise error("That is not Relaybox's answer ({requestId, timestamp}).")
        if answer.status == 500:
            raise error(_CAUSES_OF_500.format(room=message.room_id))
        if answer.status == 400:
            public_key = headers["X-Ds-Public-Key"]
            raise error(
                "Relaybox answers 400 only when the X-Ds-Public-Key or X-Ds-Req-Signature "
                f"header is missing; this request sent both (X-Ds-Public-Key: {public_key}, "
                f"X-Ds-Req-Signature: {len(headers['X-Ds-Req-Signature'])} hex digits), so "
                "something between here and Relaybox (a proxy?) removed one. If not, please "
                "report this as a bug in relaybox-integrations."
            )
        if 300 <= answer.status < 400:
            location = answer.header("Location")
            raise error(
                f"core_url redirects (Location: {location}), and redirects are not "
                "followed: the signed request goes to core_url only. Nothing was published. If "
                "Relaybox has moved there, set core_url to that address."
            )
        if answer.status in RETRY_STATUSES:
            raise error(f"A gateway's answer; gave up after {attempts} attempts.")
        raise error("Nothing was published.")
