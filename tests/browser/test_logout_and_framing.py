"""The home page's log-out button, and another site's page trying to frame the examples.

Logging out is a form POST carrying the page's CSRF token, so a link or an image on another
site cannot log the visitor out; the button must still do it. And no page of the examples
may show inside another site's frame, where that site could lay its own buttons over ours:
Chromium must refuse to render it (CSP ``frame-ancestors 'none'``).
"""

from __future__ import annotations

from urllib.parse import quote

from tests.browser.harness import BrowserSession, CrossOriginPages, settle


def test_no_other_site_can_frame_the_page_and_the_button_logs_out(
    session: BrowserSession, example: str, example_url: str, cross_origin_pages: CrossOriginPages
) -> None:
    page = session.login(example_url)
    settle(page)

    framing = session.new_page()
    framing.goto(f"{cross_origin_pages.refused}/frame?src={quote(example_url + '/', safe='')}")
    framing.wait_for_load_state()  # the frame's document included
    (framed,) = framing.main_frame.child_frames
    shown = framed.evaluate("() => location.href")
    assert shown.startswith("chrome-error://"), f"{example}: the page showed in a frame: {shown}"
    refusals = [line for line in session.console if "frame-ancestors 'none'" in line]
    assert refusals, f"{example}: Chromium did not say why: {session.console}"

    with page.expect_navigation(url=f"{example_url}/login"):
        page.click("form.logout button[type=submit]")
    me = session.context.request.get(f"{example_url}/user/me")
    assert me.status == 401, f"{example}: still logged in after log out: {me.text()}"
