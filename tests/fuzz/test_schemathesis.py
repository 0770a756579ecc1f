"""Schemathesis against every example: generated requests to ``/user/auth``, with the demo
user's session cookie, must get answers that conform to the package's OpenAPI description,
never a 5xx, and only tokens for the session user (checked by jsonwebtoken)."""

from __future__ import annotations

import base64
import json
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from tests.fuzz import openapi
from tests.fuzz.conftest import Served
from tests.support.servers import TEST_SECRET

SCHEMA = schemathesis.openapi.from_dict(openapi.load())
METHODS = ["GET", "POST", "OPTIONS", "PUT", "PATCH", "DELETE"]
EXAMPLES_PER_OPERATION = 40
#: What an HTTP server (gunicorn, uvicorn) answers itself, before the application runs, to a
#: request it will not parse: 400, 414 for a request line over gunicorn's 4094 bytes, 431 for
#: oversized headers. The description covers the application's answers, not these.
SERVER_REFUSALS = frozenset({400, 413, 414, 431})


def refused_by_the_server(response: Any) -> bool:
    """Whether the HTTP server answered without reaching the application.

    Every answer of the endpoint, and every framework refusal the package turns into JSON,
    carries ``Cache-Control: no-store``; the servers' own refusals do not.
    """
    return (
        response.status_code in SERVER_REFUSALS
        and response.headers.get("cache-control") != "no-store"
    )


def _claims(token: str) -> dict[str, Any]:
    """The payload, unverified: quick enough for every case, so Hypothesis can shrink a
    mismatch. The signature is checked by jsonwebtoken, in a batch, at the end."""
    payload = token.split(".")[1]
    claims: dict[str, Any] = json.loads(
        base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4))
    )
    return claims


def check_token_is_the_session_users(served: Served, response: Any) -> None:
    """A 200 carries a token for the session user, whatever the request said; no secret."""
    assert TEST_SECRET not in response.text
    assert all(TEST_SECRET not in value for value in response.headers.values())
    if response.status_code == 200:
        token = response.json()["token"]
        assert _claims(token).get("clientId") == served.user_id
        served.tokens.append(token)


@pytest.mark.parametrize("method", METHODS)
def test_generated_requests_conform(served: Served, method: str) -> None:
    operation = SCHEMA[openapi.PATH][method]
    cases = st.one_of(
        operation.as_strategy(GenerationMode.POSITIVE),
        operation.as_strategy(GenerationMode.NEGATIVE),
    )

    @settings(
        max_examples=EXAMPLES_PER_OPERATION,
        deadline=None,
        database=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
    )
    @given(case=cases)
    def run(case: schemathesis.Case) -> None:
        response = case.call(
            base_url=served.base_url, cookies=served.cookies, headers=served.csrf_headers
        )
        check_token_is_the_session_users(served, response)
        if refused_by_the_server(response):
            return
        case.validate_response(
            response,
            checks=[
                not_a_server_error,
                status_code_conformance,
                content_type_conformance,
                response_headers_conformance,
                response_schema_conformance,
            ],
        )

    run()
    if method in ("GET", "POST"):
        assert served.tokens, "no generated request got a token: the session did not work"
    served.check_tokens()
