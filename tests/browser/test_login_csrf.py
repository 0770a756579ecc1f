"""A page on another origin cannot log the visitor in (login CSRF).

The attacker's page posts the example's login form with the attacker's own credentials (the
demo account here) as soon as it loads. Were it to work, the visitor would be logged in as
the attacker without knowing it, and every token their page then received would carry the
attacker's ``clientId``: whatever they typed in a room would be the attacker's to read.

Both kinds of other origin are tried: another site (``localhost`` posting to ``127.0.0.1``,
where ``SameSite=Lax`` cookies stay home) and another origin of the same site (two ports of
``localhost``, where cookies travel).
"""

from __future__ import annotations

from urllib.parse import quote

import pytest

from tests.browser.harness import BrowserSession, CrossOriginPages, with_host


@pytest.mark.parametrize("target", ["another site", "same site"])
def test_a_form_on_another_origin_cannot_log_the_visitor_in(
    session: BrowserSession,
    example: str,
    example_url: str,
    cross_origin_pages: CrossOriginPages,
    target: str,
) -> None:
    base_url = example_url if target == "another site" else with_host(example_url, "localhost")
    page = session.new_page()
    page.goto(f"{base_url}/login")  # the visitor has been to the site before
    attack = f"{cross_origin_pages.refused}/login-form?action={quote(base_url + '/login')}"
    with page.expect_navigation(url=f"{base_url}/**"):
        page.goto(attack)
    page.wait_for_load_state()

    me = session.context.request.get(f"{base_url}/user/me")
    assert me.status == 401, f"{example}: the form logged the visitor in: {me.text()}"
    auth = session.context.request.get(f"{base_url}/user/auth")
    assert auth.status == 401, f"{example}: the visitor got a token: {auth.text()}"
    sent = session.network(page).to(f"{base_url}/login", "POST")
    assert sent, f"{example}: the attacker's form was never sent"
    assert all(entry.status in (400, 403) for entry in sent), [e.status for e in sent]
