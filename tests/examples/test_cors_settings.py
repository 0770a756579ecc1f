"""CORS_ALLOWED_ORIGINS: exact origins only, in every example, refused at start-up otherwise.

The endpoint answers cross-origin requests with credentials, so an origin let in reads the
logged-in user's token. Before, ``*`` made Starlette and Flask-Cors reflect any origin
(``null`` included), and Flask-Cors read ``https://*.example.com`` as a regex matched at the
start only.
"""

from __future__ import annotations

import subprocess
import sys

import pytest

from tests.examples.conftest import EXAMPLES, run_serve, run_serve_in_turn
from tests.support.servers import ROOT, free_port

sys.path.insert(0, str(ROOT / "example_projects" / "common"))
from origins import OriginError, allowed_origins

ALLOWED = "https://app.example.com"


#: What would let every site in: each must stop every example before it serves.
EVERY_SITE = ["*", "null", f"{ALLOWED}, *"]


def assert_refused_as_every_site(result: subprocess.CompletedProcess[str]) -> None:
    assert result.returncode != 0, result.stderr
    assert "CORS_ALLOWED_ORIGINS" in result.stderr
    assert "every site" in result.stderr
    assert "Traceback" not in result.stderr
    assert "Serving the" not in result.stderr


@pytest.mark.parametrize("example", sorted(EXAMPLES))
def test_a_wildcard_stops_serve_py_before_it_serves(example: str) -> None:
    """serve.py itself, in a process of its own."""
    result = run_serve(
        example, "--port", str(free_port()), env={"CORS_ALLOWED_ORIGINS": "*"}, timeout=40
    )
    assert_refused_as_every_site(result)


@pytest.mark.parametrize("example", sorted(EXAMPLES))
def test_a_wildcard_or_null_stops_the_example_before_it_serves(example: str) -> None:
    """Every such value, each run as ``python serve.py`` would run it, one after another
    from one interpreter (see run_serve_in_turn)."""
    runs = [(["--port", str(free_port())], {"CORS_ALLOWED_ORIGINS": value}) for value in EVERY_SITE]
    for value, result in zip(EVERY_SITE, run_serve_in_turn(example, runs), strict=True):
        assert "CORS_ALLOWED_ORIGINS" in result.stderr, (value, result.stderr)
        assert_refused_as_every_site(result)


@pytest.mark.parametrize(
    "value",
    [
        "https://*.example.com",
        "https://app.example.com/",
        "https://app.example.com/path",
        "app.example.com",
        "ftp://app.example.com",
        "https://user@app.example.com",
        "https://app.example.com:99999",
        "https://app\\.example\\.com",
        "^https://app.example.com$",
        "https://(app|www).example.com",
        "https://app.example.com?x=1",
    ],
)
def test_patterns_and_paths_are_refused_naming_the_setting(value: str) -> None:
    with pytest.raises(OriginError, match="CORS_ALLOWED_ORIGINS") as refused:
        allowed_origins(value)
    assert "e.g. https://app.example.com" in str(refused.value)


def test_origins_are_written_as_browsers_send_them() -> None:
    value = " HTTPS://App.Example.com:443 ,http://localhost:3000,,http://[::1]:80, "
    assert allowed_origins(value) == [ALLOWED, "http://localhost:3000", "http://[::1]"]
    assert allowed_origins("") == []


# That only the listed origins are let in, and none that looks like them, is checked on the
# examples test_contract.py serves (test_only_the_listed_origins_are_let_in).
