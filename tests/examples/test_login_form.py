"""Every example's login form refuses a submission that does not carry its own token.

A form on another site could otherwise log the visitor into the attacker's account, whose
``clientId`` their tokens would then carry (login CSRF). Django and Flask-WTF protect their
forms; the Starlette and FastAPI examples keep a token in the session for theirs.
"""

from __future__ import annotations

from collections.abc import Callable

import httpx
import pytest

from tests.examples.conftest import EXAMPLES, Served
from tests.support.servers import DEMO_USER, submit_login_form

CREDENTIALS = {"username": DEMO_USER[0], "password": DEMO_USER[1]}


@pytest.fixture(scope="module", params=sorted(EXAMPLES))
def base_url(request: pytest.FixtureRequest, example_server: Callable[[str], Served]) -> str:
    """The example as the session serves it (see conftest.py): each test's clients are its
    own, and the CORS origins it allows play no part in a form posted without an Origin."""
    return example_server(str(request.param)).base_url


def assert_not_logged_in(client: httpx.Client, response: httpx.Response) -> None:
    assert response.status_code in (400, 403), (response.status_code, response.text[:500])
    assert client.get("/user/me").status_code == 401
    assert client.get("/user/auth").status_code == 401


def test_a_login_without_the_forms_token_is_refused(base_url: str) -> None:
    with httpx.Client(base_url=base_url) as client:
        assert_not_logged_in(client, client.post("/login", data=CREDENTIALS))


def test_a_login_after_visiting_the_form_still_needs_its_token(base_url: str) -> None:
    with httpx.Client(base_url=base_url) as client:
        client.get("/login")  # the session (or CSRF cookie) now exists
        assert_not_logged_in(client, client.post("/login", data=CREDENTIALS))


def test_another_visitors_token_is_refused(base_url: str) -> None:
    """The token an attacker gets from the form on their own visit logs nobody else in."""
    with httpx.Client(base_url=base_url) as attacker:
        form = attacker.get("/login").text
    token_field = form.split('type="hidden" name="', 1)[1]
    name, value = token_field.split('"', 1)[0], token_field.split('value="', 1)[1].split('"')[0]
    with httpx.Client(base_url=base_url) as visitor:
        visitor.get("/login")
        response = visitor.post("/login", data={**CREDENTIALS, name: value})
        assert_not_logged_in(visitor, response)


def test_the_form_as_served_logs_in(base_url: str) -> None:
    with httpx.Client(base_url=base_url) as client:
        response = submit_login_form(client)
        assert response.status_code in (302, 303), response.text[:500]
        assert client.get("/user/me").status_code == 200


def test_a_wrong_password_with_the_token_is_refused(base_url: str) -> None:
    with httpx.Client(base_url=base_url) as client:
        response = submit_login_form(client, password="wrong")
        assert response.status_code in (200, 400), response.text[:500]
        assert client.get("/user/me").status_code == 401
