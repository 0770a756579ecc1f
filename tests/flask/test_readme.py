"""The README's Flask example, run as written and checked through Flask's test client;
tokens are checked by Node's jsonwebtoken."""

from __future__ import annotations

import pytest
from flask import Flask, session

from tests.support.responses import assert_json_error, token_claims
from tests.support.servers import TEST_API_KEY
from tests.support.snippets import README, assert_runs, run_snippet

SNIPPETS = {("README.rst", "Flask", "python"): 1}


def test_the_readme_has_the_snippet_this_test_runs() -> None:
    assert_runs(SNIPPETS)


def test_the_example_serves_tokens_to_logged_in_users(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FLASK_SECRET_KEY", "test-readme-flask-session-key")
    monkeypatch.setenv("RELAYBOX_API_KEY", TEST_API_KEY)
    app: Flask = run_snippet(README, "Flask", 0)["app"]

    @app.post("/login")
    def login() -> str:  # what the application's own login view does once the password is right
        session["user_id"] = "alice"
        return "logged in"

    client = app.test_client()
    assert_json_error(client.get("/user/auth"), 401, "not_authenticated")
    assert client.post("/login").status_code == 200
    for method in ("GET", "POST"):
        response = client.open("/user/auth?clientId=admin", method=method)
        assert token_claims(response)["clientId"] == "alice"
