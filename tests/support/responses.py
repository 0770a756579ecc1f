"""Checks every suite makes of the auth endpoint's answers, for any test client's responses.

Accepts httpx responses, Django's and Flask's test-client responses alike: the token answer's
shape, its ``no-store`` header, and its token verified by Node's jsonwebtoken.
"""

from __future__ import annotations

from typing import Any

from .servers import TEST_SECRET
from .verifier import node_verify


def _json(response: Any) -> Any:
    get_json = getattr(response, "get_json", None)  # Flask's test client
    return get_json() if get_json is not None else response.json()


def _text(response: Any) -> str:
    get_data = getattr(response, "get_data", None)  # Flask's test client
    if get_data is not None:
        return str(get_data(as_text=True))
    text = getattr(response, "text", None)  # httpx
    return text if isinstance(text, str) else bytes(response.content).decode()


def _assert_json_answer(response: Any, status: int) -> None:
    assert response.status_code == status, _text(response)
    assert response.headers["Content-Type"] == "application/json"
    assert response.headers["Cache-Control"] == "no-store"


def token_claims(response: Any, secret: str = TEST_SECRET) -> dict[str, Any]:
    """The claims of a 200 token answer, which jsonwebtoken must accept with ``secret``."""
    _assert_json_answer(response, 200)
    assert secret not in _text(response)
    body = _json(response)
    assert set(body) == {"token", "expiresIn", "expiresAt"}
    claims = node_verify(body["token"], secret)
    assert body["expiresAt"] == claims["exp"] * 1000
    assert body["expiresIn"] == claims["exp"] - claims["iat"]
    return claims


def assert_json_error(response: Any, status: int, error: str) -> dict[str, Any]:
    """The body of a JSON error answer with ``status`` and error code ``error``."""
    _assert_json_answer(response, status)
    body: dict[str, Any] = _json(response)
    assert body["error"] == error
    return body


def preflight(
    client: Any,
    origin: str,
    *,
    method: str = "GET",
    headers: tuple[str, ...] = ("content-type", "x-client-id"),
    path: str = "/user/auth",
) -> Any:
    """The CORS preflight a browser sends before the client's fetch of the auth endpoint."""
    return client.options(
        path,
        headers={
            "Origin": origin,
            "Access-Control-Request-Method": method,
            "Access-Control-Request-Headers": ",".join(headers),
        },
    )


def assert_cors_allowed(response: Any, origin: str, *, headers: tuple[str, ...] = ()) -> None:
    """``response`` lets a page on ``origin`` read it with cookies (and send ``headers``)."""
    assert response.headers["Access-Control-Allow-Origin"] == origin
    assert response.headers["Access-Control-Allow-Credentials"] == "true"
    if headers:
        allowed = response.headers["Access-Control-Allow-Headers"].lower().replace(" ", "")
        assert set(headers) <= set(allowed.split(","))
