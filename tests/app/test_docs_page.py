"""The docs pages in a real browser: Swagger UI lists every route, logs in with a
username and password (Authorize, OAuth2's password flow) and runs GET /me; ReDoc shows
every operation.

The real server runs; headless Chromium loads each page with every request leaving the
server's own address refused, so the pages are shown to work offline.
"""

from __future__ import annotations

from pathlib import Path
from urllib.parse import urlsplit

import httpx
from playwright.sync_api import Browser, Page, Route, expect

from tests.app.helpers import PASSWORD
from tests.app.live_server import running

# Swagger UI renders an answer and an operation well within this; a slow CI machine too.
UI_TIMEOUT_MS = 15_000


def test_the_docs_page_lists_every_route_logs_in_and_runs_get_me(
    chromium: Browser, env: dict[str, str], tmp_path: Path
) -> None:
    with running(env, tmp_path) as server:
        _register(server.url)
        spec = httpx.get(f"{server.url}/docs/openapi.json").json()
        page = chromium.new_page(viewport={"width": 1280, "height": 1400})
        elsewhere = _refuse_other_hosts(page, server.url)
        page.goto(f"{server.url}/docs")

        expect(page.locator(".opblock").first).to_be_visible(timeout=UI_TIMEOUT_MS)
        listed = {
            (
                block.locator(".opblock-summary-method").inner_text().lower(),
                block.locator(".opblock-summary-path").get_attribute("data-path"),
            )
            for block in page.locator(".opblock").all()
        }
        documented = {(method, path) for path, item in spec["paths"].items() for method in item}
        assert listed == documented

        _authorize(page, "alice", PASSWORD)
        me = page.locator(".opblock-get").filter(
            has=page.locator('.opblock-summary-path[data-path="/me"]')
        )
        me.locator(".opblock-summary").click()
        me.locator("button.execute").click()
        answer = me.locator(".live-responses-table .response")
        expect(answer.locator(".response-col_status")).to_have_text("200", timeout=UI_TIMEOUT_MS)
        expect(answer.locator(".response-col_description")).to_contain_text('"username": "alice"')
        page.screenshot(path=tmp_path / "docs-page.png")
        assert elsewhere == []


def test_redoc_shows_every_operation_offline(
    chromium: Browser, env: dict[str, str], tmp_path: Path
) -> None:
    with running(env, tmp_path) as server:
        spec = httpx.get(f"{server.url}/docs/openapi.json").json()
        page = chromium.new_page(viewport={"width": 1280, "height": 1400})
        elsewhere = _refuse_other_hosts(page, server.url)
        errors: list[str] = []
        page.on("pageerror", lambda error: errors.append(str(error)))
        page.goto(f"{server.url}/redoc")

        expect(page.locator(".api-info h1")).to_contain_text("Stores API", timeout=UI_TIMEOUT_MS)
        summaries = {
            operation["summary"] for item in spec["paths"].values() for operation in item.values()
        }
        menu = page.locator('[role="menuitem"], .menu-content label').all_inner_texts()
        shown = " ".join(menu)
        assert all(summary in shown for summary in summaries), summaries
        page.screenshot(path=tmp_path / "redoc-page.png")
        assert elsewhere == []  # its badge's logo is not even asked for (the page's CSP)
        assert errors == []


def _register(url: str) -> None:
    credentials = {"username": "alice", "password": PASSWORD}
    assert httpx.post(f"{url}/register", json=credentials).status_code == 201


def _refuse_other_hosts(page: Page, url: str) -> list[str]:
    """Abort every request that is not to the server; the list of those aborted."""
    own = urlsplit(url).netloc
    refused: list[str] = []

    def handle(route: Route) -> None:
        if urlsplit(route.request.url).netloc == own:
            route.continue_()
        else:
            refused.append(route.request.url)
            route.abort()

    page.route("**/*", handle)
    return refused


def _authorize(page: Page, username: str, password: str) -> None:
    """Swagger UI's Authorize dialog: a username and password under the oauth2 scheme,
    which the page sends to POST /login as OAuth2's password grant."""
    page.locator("button.authorize").first.click()
    scheme = page.locator(".auth-container").filter(has_text="oauth2 (OAuth2, password)")
    scheme.locator("#oauth_username").fill(username)
    scheme.locator("#oauth_password").fill(password)
    scheme.locator("button.authorize").click()
    # Logged in: the scheme now offers to log out, and shows no error.
    expect(scheme.locator("button.authorize")).to_have_text("Logout", timeout=UI_TIMEOUT_MS)
    expect(scheme.locator(".errors")).to_have_count(0)
    page.locator("button.btn-done").first.click()  # one per scheme, all closing the dialog
