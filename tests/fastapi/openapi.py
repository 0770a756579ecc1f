"""What FastAPI's OpenAPI schema says of the auth endpoint, wherever a test builds an app."""

from __future__ import annotations

from typing import Any


def assert_documents_the_endpoint(schema: dict[str, Any]) -> None:
    """``/user/auth`` in ``schema``: GET and POST, a TokenBody 200, ErrorBody 401, 403 and 500,
    and ``Cache-Control: no-store`` on every answer."""
    operations = schema["paths"]["/user/auth"]
    assert set(operations) == {"get", "post"}
    for operation in operations.values():
        responses = operation["responses"]
        ok = responses["200"]["content"]["application/json"]["schema"]
        assert ok == {"$ref": "#/components/schemas/TokenBody"}
        for status in ("401", "403", "500"):
            error = responses[status]["content"]["application/json"]["schema"]
            assert error == {"$ref": "#/components/schemas/ErrorBody"}
        for answer in responses.values():
            no_store = answer["headers"]["Cache-Control"]["schema"]
            assert no_store == {"type": "string", "const": "no-store"}
    token_body = schema["components"]["schemas"]["TokenBody"]
    assert set(token_body["required"]) == {"token", "expiresIn", "expiresAt"}
