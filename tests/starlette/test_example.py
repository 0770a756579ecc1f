"""The Starlette example under uvicorn."""

from __future__ import annotations

from tests.starlette.example_contract import ExampleContract


class TestStarletteExample(ExampleContract):
    example = "starlette"
