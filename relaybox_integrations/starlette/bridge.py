"""Where the package's flows meet Starlette: hooks that never block the event loop, and
answers as Starlette responses. Issuer, routes and webhooks all run through here."""

from __future__ import annotations

import functools
import inspect
from collections.abc import Awaitable, Callable
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.responses import Response

from ..errors import ConfigurationError
from ..flow import EndpointResponse

__all__ = ["awaitable_hook", "to_response"]


def to_response(answer: EndpointResponse) -> Response:
    """``answer`` as a Starlette response."""
    return Response(answer.body, status_code=answer.status, headers=dict(answer.headers))


def _is_async(func: Callable[..., Any]) -> bool:
    return inspect.iscoroutinefunction(func) or inspect.iscoroutinefunction(
        type(func).__call__  # instances of a class with an async __call__
    )


def awaitable_hook(setting: str, hook: object) -> Callable[..., Awaitable[Any]] | None:
    """Wrap ``hook`` once so that calling it never blocks the event loop."""
    if hook is None:
        return None
    if not callable(hook):
        raise ConfigurationError(setting, f"{setting}: expected a function; got {hook!r}")
    if _is_async(hook):
        return hook
    return functools.partial(run_in_threadpool, hook)
