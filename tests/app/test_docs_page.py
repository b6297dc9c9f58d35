"""The docs page in a real browser: every route listed, authorised, GET /me run from it.

The real server runs; headless Chromium loads /docs with every request leaving the
server's own address refused, so the page is shown to work offline.
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


def test_the_docs_page_lists_every_route_and_runs_get_me(
    chromium: Browser, env: dict[str, str], tmp_path: Path
) -> None:
    with running(env, tmp_path) as server:
        access_token = _log_in(server.url)
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

        _authorize(page, access_token)
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


def _log_in(url: str) -> str:
    credentials = {"username": "alice", "password": PASSWORD}
    assert httpx.post(f"{url}/register", json=credentials).status_code == 201
    response = httpx.post(f"{url}/login", json=credentials)
    assert response.status_code == 200
    token: str = response.json()["access_token"]
    return token


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


def _authorize(page: Page, access_token: str) -> None:
    """Swagger UI's Authorize dialog: the access token under the access_token scheme."""
    page.locator("button.authorize").first.click()
    scheme = page.locator(".auth-container").filter(has_text="access_token (http, Bearer)")
    scheme.locator("input").fill(access_token)
    scheme.locator("button.authorize").click()
    page.locator("button.btn-done").first.click()  # one per scheme, all closing the dialog
