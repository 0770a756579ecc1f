"""Where the official browser client's bundle is: ``RELAYBOX_CLIENT_BUNDLE``.

``@relaybox/client`` 3.0.1, built from Relaybox's public source as one ES module, is not part
of this repository (it is Relaybox's code, and CDNs are out of reach of the tests); ``.ci/run``
sets the variable when a checkout keeps the bundle beside the repository. Without it, the
tests that need the real client skip and say why; a setting that names no file fails them.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

BUNDLE_SETTING = "RELAYBOX_CLIENT_BUNDLE"


def client_bundle() -> Path:
    """The bundle's path; skips the calling test module when the setting is unset."""
    path = os.environ.get(BUNDLE_SETTING)
    if not path:
        pytest.skip(
            f"{BUNDLE_SETTING} is unset: it names the official client's ES module bundle "
            "(@relaybox/client 3.0.1) that these tests drive against the emulator; .ci/run "
            "sets it when the bundle is beside the repository",
            allow_module_level=True,
        )
    bundle = Path(path)
    if not bundle.is_file():
        pytest.fail(f"{BUNDLE_SETTING} names no file: {path}", pytrace=False)
    return bundle
