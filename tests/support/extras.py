"""Configuring an adapter in a new interpreter where an extra's modules do not import."""

from __future__ import annotations

import subprocess
import sys
import textwrap

from .servers import ROOT, TEST_API_KEY

#: A signing key for the snippets below.
SIGNING_KEY = "whsec-missing-extra-signing-key-0123456789"


def configure_without(modules: tuple[str, ...], code: str) -> str:
    """What ``code`` (which configures an adapter; ``API_KEY`` and ``SIGNING_KEY`` are set)
    raised as a ``MissingExtraError``: ``"<extra> <message>"``, or ``"started"``."""
    blocked = "".join(f"sys.modules[{module!r}] = None\n" for module in modules)
    script = (
        f"import sys\n{blocked}"  # as if the extra were not installed
        "from relaybox_integrations.errors import MissingExtraError\n"
        f"API_KEY, SIGNING_KEY = {TEST_API_KEY!r}, {SIGNING_KEY!r}\n"
        "try:\n"
        f"{textwrap.indent(textwrap.dedent(code), '    ')}\n"
        "except MissingExtraError as error:\n"
        "    print(error.extra, error)\n"
        "else:\n"
        "    print('started')\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", script],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    )
    return result.stdout.strip()


def assert_says_how_to_install(said: str, extra: str) -> None:
    """The error names the extra, and installs from a clone: the package is not on PyPI."""
    assert said.startswith(f"{extra} "), said
    assert f"the [{extra}] extra" in said
    assert f"pip install '../relaybox-integrations[{extra}]'" in said
    assert "pip install 'relaybox-integrations[" not in said
