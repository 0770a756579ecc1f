"""The troubleshooting page names every error the package can give.

The lists come from the package itself, so a new error code, check id, refusal reason or
exception class fails here until the page explains it.
"""

from __future__ import annotations

import re

import relaybox_integrations.errors
from relaybox_integrations import webhooks
from relaybox_integrations.starlette import MissingMiddlewareError
from tests.support.snippets import ROOT

PAGE = ROOT / "docs" / "troubleshooting.rst"
PACKAGE = ROOT / "relaybox_integrations"
ERROR_CODE = re.compile(r'json_error\(\s*(\d{3}),\s*"([a-z_]+)"')
CHECK_ID = re.compile(r"relaybox\.[EW]\d{3}")


def page_text() -> str:
    return PAGE.read_text(encoding="utf-8")


def package_source() -> str:
    return "\n".join(path.read_text(encoding="utf-8") for path in PACKAGE.rglob("*.py"))


def test_every_json_error_code_is_explained_with_its_status() -> None:
    answers = set(ERROR_CODE.findall(package_source()))
    answers |= {(str(status), code) for status, code in webhooks._STATUS_OF_REASON.values()}
    assert len(answers) >= 12, answers  # the pattern still finds them
    text = page_text()
    missing = [
        f"{status} {code}"
        for status, code in sorted(answers)
        if f"``{code}``" not in text or status not in text
    ]
    assert not missing, f"docs/troubleshooting.rst does not explain {missing}"


def test_every_webhook_refusal_reason_is_explained() -> None:
    text = page_text()
    missing = [reason for reason in webhooks._STATUS_OF_REASON if f"``{reason}``" not in text]
    assert not missing, f"docs/troubleshooting.rst does not explain {missing}"


def test_every_system_check_id_is_explained() -> None:
    checks = "".join(
        (PACKAGE / name).read_text(encoding="utf-8")
        for name in ("django/checks.py", "django/validation.py", "config.py")
    )
    ids = set(CHECK_ID.findall(checks))
    assert {"relaybox.E001", "relaybox.E013", "relaybox.W001"} <= ids
    text = page_text()
    missing = sorted(check for check in ids if f"``{check}``" not in text)
    assert not missing, f"docs/troubleshooting.rst does not explain {missing}"


def test_every_exception_class_is_explained() -> None:
    names = [*relaybox_integrations.errors.__all__, MissingMiddlewareError.__name__]
    text = page_text()
    missing = [name for name in names if name not in text]
    assert not missing, f"docs/troubleshooting.rst does not explain {missing}"
