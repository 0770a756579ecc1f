"""The FastAPI example's OpenAPI schema, what /openapi.json serves, built in this process."""

from __future__ import annotations

import importlib.util
from typing import Any

import pytest

from tests.support.servers import ROOT

APP = ROOT / "example_projects" / "fastapi_app" / "app.py"


@pytest.fixture(scope="module")
def schema() -> dict[str, Any]:
    spec = importlib.util.spec_from_file_location("fastapi_example_app", APP)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return dict(module.app.openapi())


def test_the_auth_endpoint_is_documented(schema: dict[str, Any]) -> None:
    operations = schema["paths"]["/user/auth"]
    assert set(operations) == {"get", "post"}
    assert set(operations["get"]["responses"]) == {"200", "401", "403", "500"}


def test_the_webhook_endpoint_is_documented(schema: dict[str, Any]) -> None:
    operation = schema["paths"]["/relaybox/webhooks"]["post"]
    assert set(operation["responses"]) == {"200", "400", "403", "413", "500", "503"}
    headers = {parameter["name"] for parameter in operation["parameters"]}
    assert "X-RelayBox-Webhook-Signature" in headers


def test_the_chat_and_the_received_list_are_documented(schema: dict[str, Any]) -> None:
    post = schema["paths"]["/messages"]["post"]
    assert set(post["responses"]) == {"200", "400", "401", "413", "415", "429", "502"}
    body = post["requestBody"]["content"]["application/json"]["schema"]
    assert body["required"] == ["text"]
    assert body["properties"]["text"]["maxLength"] == 500
    assert "401" in schema["paths"]["/relaybox/webhooks/received"]["get"]["responses"]
