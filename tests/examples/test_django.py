"""The Django example's set-up script: prepare.py runs the system checks before serving."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.support.servers import SERVE

FOLDER = SERVE.parent / "django_project"


def prepare(tmp_path: Path, **environ: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "prepare.py"],
        cwd=FOLDER,
        env={**os.environ, "DJANGO_DB_PATH": str(tmp_path / "db.sqlite3"), **environ},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_prepare_reports_check_warnings(tmp_path: Path) -> None:
    """A short secret is served, with relaybox.W001."""
    result = prepare(tmp_path, RELAYBOX_API_KEY="app.key:secret")
    assert result.returncode == 0, result.stderr
    assert "relaybox.W001" in result.stderr


@pytest.mark.parametrize(
    ("setting", "value", "check"),
    [
        ("RELAYBOX_WEBHOOK_SIGNING_KEY", '"quoted-webhook-signing-key-0123"', "relaybox.E010"),
        ("RELAYBOX_CORE_URL", "ftp://relaybox.example", "relaybox.E013"),
    ],
)
def test_prepare_stops_on_a_bad_setting_naming_it(
    tmp_path: Path, setting: str, value: str, check: str
) -> None:
    """What runserver users get, who start with prepare.py rather than serve.py."""
    result = prepare(tmp_path, **{setting: value})
    assert result.returncode != 0
    assert check in result.stderr
    assert value not in result.stderr
