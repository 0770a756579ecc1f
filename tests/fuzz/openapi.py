"""The package's OpenAPI description of the auth endpoint, as the tests load it."""

from __future__ import annotations

import json
from importlib import resources
from typing import Any

PATH = "/user/auth"


def load() -> dict[str, Any]:
    """``relaybox_integrations/openapi.json``, read as package data (as users would)."""
    text = resources.files("relaybox_integrations").joinpath("openapi.json").read_text("utf-8")
    document: dict[str, Any] = json.loads(text)
    return document


def resolve(document: dict[str, Any], node: Any) -> Any:
    """``node`` with every ``$ref`` into ``document`` replaced by its target, recursively."""
    if isinstance(node, dict):
        if "$ref" in node:
            target: Any = document
            for part in node["$ref"].removeprefix("#/").split("/"):
                target = target[part]
            return resolve(document, target)
        return {key: resolve(document, value) for key, value in node.items()}
    if isinstance(node, list):
        return [resolve(document, item) for item in node]
    return node
