"""The stand-in answers for ``@relaybox/client`` 3.x, so it must export what 3.x exports.

A page written for another version (``import { RelayBox }``, as 1.x to 2.8 wanted) must fail
here as it fails with the real client, or the browser tests would pass a page that breaks
for every user.
"""

from __future__ import annotations

from playwright.sync_api import Page

from tests.browser.harness import CLIENT_URL, SETTLE_MS, BrowserSession, CrossOriginPages

#: The named exports of @relaybox/client 3.0.1's ES module (classes, enums and constants of
#: lib/index.ts, types excluded), besides its default export, RelayBox.
NAMED_EXPORTS_3_0_1 = {
    "Auth",
    "AuthEvent",
    "AuthMfaFactorType",
    "AuthProvider",
    "ClientEvent",
    "HistoryQueryParam",
    "HttpMethod",
    "HttpMode",
    "IntellectActionType",
    "Metrics",
    "MetricsEventAllowedValue",
    "Presence",
    "PresenceEventAllowedValue",
    "REFRESH_TOKEN_KEY",
    "Room",
    "RoomEvent",
    "RoomMemberType",
    "ServerEvent",
    "SocketEvent",
    "SocketIoEvent",
    "SocketState",
    "SocketTransport",
    "User",
    "defaultRoomCreateOptions",
    "defaultRoomJoinOptions",
}


def run_module(page: Page, source: str) -> str:
    """Run ``source`` as a module script on ``page``; its outcome, or the error it raised."""
    page.evaluate(
        """() => {
          window.__moduleOutcome = 'pending';
          window.addEventListener('error', (event) => { window.__moduleOutcome = event.message; });
        }"""
    )
    page.add_script_tag(content=source, type="module")
    page.wait_for_function("() => window.__moduleOutcome !== 'pending'", timeout=SETTLE_MS)
    return str(page.evaluate("() => window.__moduleOutcome"))


def test_the_stand_in_exports_what_the_current_client_exports(
    session: BrowserSession, cross_origin_pages: CrossOriginPages
) -> None:
    page = session.new_page()
    page.goto(f"{cross_origin_pages.allowed}/")
    exports = page.evaluate(
        """async (url) => {
          const module = await import(url);
          return {
            names: Object.keys(module),
            defaultName: module.default && module.default.name,
            defaultIsAClass: typeof module.default === 'function',
          };
        }""",
        CLIENT_URL,
    )
    assert set(exports["names"]) == {"default", *NAMED_EXPORTS_3_0_1}
    assert exports["defaultName"] == "RelayBox"
    assert exports["defaultIsAClass"] is True


def test_the_documented_default_import_works_and_the_old_named_one_fails(
    session: BrowserSession, cross_origin_pages: CrossOriginPages
) -> None:
    page = session.new_page()
    page.goto(f"{cross_origin_pages.allowed}/")
    default_import = run_module(
        page,
        f"import RelayBox from '{CLIENT_URL}';\n"
        "window.__moduleOutcome = typeof RelayBox === 'function' ? 'loaded' : 'no class';",
    )
    assert default_import == "loaded"

    named_import = run_module(
        page,
        f"import {{ RelayBox }} from '{CLIENT_URL}';\nwindow.__moduleOutcome = 'loaded';",
    )
    assert "does not provide an export named 'RelayBox'" in named_import, named_import
