"""The FastAPI example under uvicorn."""

from __future__ import annotations

import httpx

from tests.starlette.example_contract import ExampleContract


class TestFastAPIExample(ExampleContract):
    example = "fastapi"

    def test_openapi_documents_the_auth_endpoint(self, anonymous: httpx.Client) -> None:
        schema = anonymous.get("/openapi.json").json()
        operations = schema["paths"]["/user/auth"]
        assert set(operations) == {"get", "post"}
        assert set(operations["get"]["responses"]) == {"200", "401", "403", "500"}
