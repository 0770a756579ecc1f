"""The plumbing every request flow shares: the framework-neutral answer and the flow driver.

Each flow (the auth endpoint, the webhook endpoint, publishing) is written once, as a
generator that yields the calls it needs made and receives their results. :func:`run` drives
it in sync code, making each call plainly; :func:`arun` drives it on asyncio, awaiting every
awaitable result. This module sits at the bottom of the package: it imports nothing of it.
"""

from __future__ import annotations

import inspect
import json
from collections.abc import Callable, Generator
from dataclasses import dataclass, field
from typing import Any, Generic, TypeAlias, TypeVar

__all__ = [
    "JSON_HEADERS",
    "NO_STORE",
    "EndpointResponse",
    "arun",
    "json_error",
    "run",
]

#: Headers that keep an answer out of every cache. A token response is a credential
#: (RFC 6749 §5.1); errors must not be cached either, or a user who logs in would keep
#: getting the cached 401.
NO_STORE = (("Cache-Control", "no-store"), ("Pragma", "no-cache"))
#: A JSON answer's headers, never cached.
JSON_HEADERS = (("Content-Type", "application/json"), *NO_STORE)


@dataclass(frozen=True)
class EndpointResponse:
    """A framework-neutral HTTP response; adapters copy it into their own type.

    The empty 204 has no ``Content-Type``: adapters must not add their default one.
    """

    status: int
    #: Kept out of ``repr()``: a 200 body holds the token, a credential.
    body: bytes = field(repr=False)
    headers: tuple[tuple[str, str], ...] = field(default=JSON_HEADERS)


def json_error(status: int, code: str, message: str, *extra: tuple[str, str]) -> EndpointResponse:
    """A JSON error answer, ``{"error": code, "message": message}``, never cached.

    Also for refusals a framework makes before the endpoint runs (a CSRF check), so that the
    browser client still reads JSON.
    """
    body = json.dumps({"error": code, "message": message}, separators=(",", ":")).encode()
    return EndpointResponse(status, body, (*JSON_HEADERS, *extra))


_T = TypeVar("_T")
#: One call the flow needs made: the function and its arguments.
Call: TypeAlias = tuple[Callable[..., Any], tuple[Any, ...]]
#: A flow: yields calls, receives their results (or has their errors thrown in), returns
#: its outcome; an HTTP answer for the endpoints, a result for publishing.
Flow: TypeAlias = Generator[Call, Any, _T]


class _Finished(Generic[_T]):
    """What a flow returned (a plain class: built once per request, on the hot path)."""

    __slots__ = ("outcome",)

    def __init__(self, outcome: _T) -> None:
        self.outcome = outcome


def _resume(flow: Flow[_T], result: Any, error: BaseException | None) -> Call | _Finished[_T]:
    """Hand the last call's result (or error) back to ``flow``: its next call, or its end."""
    try:
        return flow.send(result) if error is None else flow.throw(error)
    except StopIteration as stop:
        return _Finished(stop.value)


def run(flow: Flow[_T]) -> _T:
    """Run ``flow`` making each call plainly, for sync frameworks."""
    step = _resume(flow, None, None)
    while not isinstance(step, _Finished):
        function, args = step
        try:
            result, error = function(*args), None
        except BaseException as exc:  # handed back to the flow, which decides
            result, error = None, exc
        if inspect.isawaitable(result):  # an async callable handed to a sync endpoint
            close = getattr(result, "close", None)
            if close is not None:
                close()  # no "never awaited" warning on top of the error
            result, error = (
                None,
                TypeError(
                    f"{function!r} returned an awaitable, but this endpoint runs synchronously: "
                    "use the framework's async view, or a plain function"
                ),
            )
        step = _resume(flow, result, error)
    return step.outcome


async def arun(flow: Flow[_T]) -> _T:
    """Run ``flow`` awaiting every awaitable result, for asyncio frameworks."""
    step = _resume(flow, None, None)
    while not isinstance(step, _Finished):
        function, args = step
        try:
            result = function(*args)
            result, error = (await result if inspect.isawaitable(result) else result), None
        except BaseException as exc:  # handed back to the flow (cancellation included)
            result, error = None, exc
        step = _resume(flow, result, error)
    return step.outcome
