"""The README's Django example, appended to a project's settings as it says, run through
Django's test client; tokens are checked by Node's jsonwebtoken."""

from __future__ import annotations

import types
from typing import Any

import pytest
from django.conf import settings
from django.test import Client, override_settings

from tests.support.responses import assert_json_error, token_claims
from tests.support.servers import TEST_API_KEY
from tests.support.snippets import README, assert_runs, run_snippet

pytestmark = pytest.mark.django_db

SNIPPETS = {("README.rst", "Django", "python"): 1}


def test_the_readme_has_the_snippet_this_test_runs() -> None:
    assert_runs(SNIPPETS)


def test_the_example_serves_tokens_to_logged_in_users(
    monkeypatch: pytest.MonkeyPatch, user: Any
) -> None:
    monkeypatch.setenv("RELAYBOX_API_KEY", TEST_API_KEY)
    project_apps = [app for app in settings.INSTALLED_APPS if not app.startswith("relaybox")]
    # What settings.py holds before the lines the README adds at its end.
    namespace = run_snippet(README, "Django", 0, {"INSTALLED_APPS": list(project_apps)})
    assert namespace["INSTALLED_APPS"] == [*project_apps, "relaybox_integrations.django"]
    urls = types.ModuleType("readme_urls")
    urls.urlpatterns = namespace["urlpatterns"]  # type: ignore[attr-defined]
    with override_settings(RELAYBOX=namespace["RELAYBOX"], ROOT_URLCONF=urls):
        client = Client()
        assert_json_error(client.get("/user/auth"), 401, "not_authenticated")
        client.force_login(user)
        for method in ("get", "post"):
            response = getattr(client, method)("/user/auth", headers={"X-Client-Id": "admin"})
            assert token_claims(response)["clientId"] == str(user.pk)
