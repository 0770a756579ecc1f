"""The API reference documents every public name, as the built site's inventory shows.

Runs after ``sphinx-build`` in ``tox -e docs``: it reads ``docs/_build/html/objects.inv``,
the index of every object the reference describes. A public name is one in the ``__all__``
of a module users import from; it counts as documented under its own module's name, or,
when it is re-exported, under the name of the module that defines it (any documented name
with the same last part that is the very same object).
"""

from __future__ import annotations

import importlib
import posixpath
from pathlib import Path
from typing import Any

import pytest
from sphinx.util.inventory import InventoryFile

from tests.support.snippets import ROOT

INVENTORY = ROOT / "docs" / "_build" / "html" / "objects.inv"
#: The modules users import from (the others are the package's own plumbing, and what they
#: offer users is re-exported by one of these).
PUBLIC_MODULES = (
    "relaybox_integrations",
    "relaybox_integrations.auth_tokens",
    "relaybox_integrations.core",
    "relaybox_integrations.endpoint",
    "relaybox_integrations.room_access",
    "relaybox_integrations.errors",
    "relaybox_integrations.flow",
    "relaybox_integrations.options",
    "relaybox_integrations.permissions",
    "relaybox_integrations.publishing",
    "relaybox_integrations.retry",
    "relaybox_integrations.rooms",
    "relaybox_integrations.services",
    "relaybox_integrations.testing",
    "relaybox_integrations.transport",
    "relaybox_integrations.users",
    "relaybox_integrations.webhooks",
    "relaybox_integrations.webhook_stores",
    "relaybox_integrations.django",
    "relaybox_integrations.django.views",
    "relaybox_integrations.django.webhooks",
    "relaybox_integrations.django.rest_framework",
    "relaybox_integrations.django.asgi",
    "relaybox_integrations.django.auth_tokens",
    "relaybox_integrations.django.rest_framework_auth",
    "relaybox_integrations.flask",
    "relaybox_integrations.starlette",
    "relaybox_integrations.fastapi",
)


def documented_names() -> set[str]:
    if not INVENTORY.is_file():
        pytest.fail(f"{INVENTORY.relative_to(ROOT)} is missing: build the site first (tox -e docs)")
    with INVENTORY.open("rb") as stream:
        inventory = InventoryFile.load(stream, "", posixpath.join)
    return {
        name for kind, entries in inventory.items() if kind.startswith("py:") for name in entries
    }


def resolve(dotted: str) -> Any:
    """The object ``dotted`` names, or None when it names no importable object."""
    parts = dotted.split(".")
    for split in range(len(parts), 0, -1):
        try:
            value: Any = importlib.import_module(".".join(parts[:split]))
        except ImportError:
            continue
        try:
            for attribute in parts[split:]:
                value = getattr(value, attribute)
        except AttributeError:
            return None
        return value
    return None


def test_every_public_name_is_in_the_reference() -> None:
    names = documented_names()
    by_last_part: dict[str, list[str]] = {}
    for documented in names:
        by_last_part.setdefault(documented.rsplit(".", 1)[-1], []).append(documented)
    missing = []
    for module_name in PUBLIC_MODULES:
        module = importlib.import_module(module_name)
        for name in module.__all__:
            value = getattr(module, name)
            elsewhere = by_last_part.get(name, [])
            if f"{module_name}.{name}" not in names and not any(
                resolve(other) is value for other in elsewhere
            ):
                missing.append(f"{module_name}.{name}")
    assert not missing, f"not in the API reference (docs/api.rst): {missing}"


def test_the_reference_page_exists_in_the_built_site() -> None:
    page = Path(INVENTORY.parent, "api.html")
    assert page.is_file()
    assert "relaybox_integrations.RelayBox.generate_token_response" in documented_names()
