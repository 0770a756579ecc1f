"""The package's OpenAPI description: valid, true to the core's answers, and in agreement with
what FastAPI generates for the same endpoint."""

from __future__ import annotations

import functools
import importlib.util
import json
import sys
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import schemathesis
from fastapi import FastAPI

from relaybox_integrations import AccessDenied, AuthEndpoint, RelayBox
from relaybox_integrations.endpoint import ALLOWED_METHODS
from relaybox_integrations.fastapi import relaybox_router
from tests.fuzz import openapi
from tests.support.servers import ROOT, TEST_API_KEY

DOCUMENT = openapi.load()
SPEC = openapi.resolve(DOCUMENT, DOCUMENT)
OPERATIONS = SPEC["paths"][openapi.PATH]


@functools.cache
def _fastapi_example() -> FastAPI:
    name = "relaybox_fastapi_example"
    spec = importlib.util.spec_from_file_location(
        name, ROOT / "example_projects" / "fastapi_app" / "app.py"
    )
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module  # dataclasses look their module up there
    spec.loader.exec_module(module)
    app: FastAPI = module.app
    return app


def _fastapi_router_app() -> FastAPI:
    async def current_user() -> str | None:
        return None

    app = FastAPI()
    app.include_router(
        relaybox_router(dependency=current_user, api_key=TEST_API_KEY), prefix="/user"
    )
    return app


def _shape(schema: dict[str, Any]) -> dict[str, Any]:
    """What a client relies on: the type, each property's type, what is required, and whether
    other properties may appear (JSON Schema's default: they may). Titles and prose aside."""
    return {
        "type": schema.get("type"),
        "properties": {name: prop.get("type") for name, prop in schema["properties"].items()},
        "required": sorted(schema.get("required", [])),
        "additionalProperties": schema.get("additionalProperties", True),
    }


def _answer(operation: dict[str, Any], status: str) -> dict[str, Any]:
    response: dict[str, Any] = operation["responses"][status]
    return response


def test_the_description_is_valid_openapi_3_1() -> None:
    assert DOCUMENT["openapi"].startswith("3.1.")
    schema = schemathesis.openapi.from_dict(openapi.load())
    schema.validate()
    assert {method.upper() for method in OPERATIONS if method != "parameters"} >= {
        "GET",
        "POST",
        "OPTIONS",
    }


def test_bodies_match_what_the_core_answers() -> None:
    def refuse(request: object, user: object, client_id: str | None) -> None:
        if client_id == "banned":
            raise AccessDenied()

    endpoint = AuthEndpoint(RelayBox(TEST_API_KEY), get_permissions=refuse)
    answers = {
        "200": endpoint.respond("GET", None, lambda: "42"),
        "401": endpoint.respond("GET", None, lambda: None),
        "403": endpoint.respond("GET", None, lambda: "banned"),
        "405": endpoint.respond("PUT", None, lambda: "42"),
    }
    where = {"200": "get", "401": "get", "403": "get", "405": "put"}
    for status, answer in answers.items():
        assert answer is not None
        assert str(answer.status) == status
        documented = _answer(OPERATIONS[where[status]], status)
        (media_type,) = documented["content"]
        assert dict(answer.headers)["Content-Type"] == media_type
        jsonschema.validate(json.loads(answer.body), documented["content"][media_type]["schema"])
        headers = dict(answer.headers)
        for name, header in documented["headers"].items():
            jsonschema.validate(headers[name], header["schema"])
    preflight = endpoint.reject_method("OPTIONS")
    assert preflight is not None
    assert preflight.status == 204
    assert dict(preflight.headers)["Allow"] == ", ".join(ALLOWED_METHODS)
    assert "204" in OPERATIONS["options"]["responses"]


@pytest.fixture(params=[_fastapi_example, _fastapi_router_app], ids=["example", "relaybox_router"])
def fastapi_spec(request: pytest.FixtureRequest) -> dict[str, Any]:
    generated = request.param().openapi()
    resolved: dict[str, Any] = openapi.resolve(generated, generated)
    return resolved


@pytest.mark.parametrize("method", ["get", "post"])
@pytest.mark.parametrize("status", ["200", "401"])
def test_fastapi_generates_the_same_bodies(
    fastapi_spec: dict[str, Any], method: str, status: str
) -> None:
    generated = _answer(fastapi_spec["paths"][openapi.PATH][method], status)
    documented = _answer(OPERATIONS[method], status)
    assert list(generated["content"]) == list(documented["content"]) == ["application/json"]
    assert _shape(generated["content"]["application/json"]["schema"]) == _shape(
        documented["content"]["application/json"]["schema"]
    )


@pytest.mark.parametrize("method", ["get", "post"])
@pytest.mark.parametrize("status", ["200", "401"])
def test_fastapi_documents_no_store(fastapi_spec: dict[str, Any], method: str, status: str) -> None:
    generated = _answer(fastapi_spec["paths"][openapi.PATH][method], status)
    documented = _answer(OPERATIONS[method], status)
    cache_control = {name.lower(): value for name, value in generated.get("headers", {}).items()}
    assert (
        cache_control.get("cache-control", {}).get("schema")
        == (documented["headers"]["Cache-Control"]["schema"])
    )


def test_the_description_ships_with_the_package() -> None:
    import relaybox_integrations

    assert (Path(relaybox_integrations.__file__).parent / "openapi.json").is_file()
