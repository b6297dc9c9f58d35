"""CORS for browser front-ends on other origins: only those of the `cors_origins` setting."""

from __future__ import annotations

from typing import Any

import pytest
from sanic import Sanic

from tests.app.helpers import Api, LoggedIn, build_app, make_settings

FRONT_END = "https://shop.example.com"
PREFLIGHT = {
    "Origin": FRONT_END,
    "Access-Control-Request-Method": "POST",
    "Access-Control-Request-Headers": "authorization, content-type",
}


def app_with(*origins: str) -> Sanic[Any, Any]:
    return build_app(make_settings(database_url="sqlite://:memory:", cors_origins=list(origins)))


def cors_headers(headers: Any) -> dict[str, str]:
    return {name: value for name, value in headers.items() if name.startswith("access-control")}


async def test_a_preflight_from_a_listed_origin_is_allowed() -> None:
    app = app_with("https://admin.example.com", FRONT_END)
    _, response = await app.asgi_client.options("/items", headers=PREFLIGHT)
    assert response.status == 204
    assert response.headers["access-control-allow-origin"] == FRONT_END
    allowed_headers = response.headers["access-control-allow-headers"].split(",")
    assert sorted(allowed_headers) == ["authorization", "content-type"]
    assert {"GET", "POST"} <= set(response.headers["access-control-allow-methods"].split(","))
    assert response.headers["vary"] == "origin"


async def test_another_origin_gets_no_cors_headers() -> None:
    app = app_with(FRONT_END)
    elsewhere = PREFLIGHT | {"Origin": "https://evil.example.net"}
    _, response = await app.asgi_client.options("/items", headers=elsewhere)
    assert cors_headers(response.headers) == {}
    # A listed origin is matched whole: no prefix of another's.
    sneaky = PREFLIGHT | {"Origin": f"{FRONT_END}.evil.example.net"}
    _, response = await app.asgi_client.options("/items", headers=sneaky)
    assert cors_headers(response.headers) == {}


@pytest.mark.usefixtures("database_url")
async def test_a_listed_origin_reads_the_answers_of_the_api(settings: Any) -> None:
    api = Api(build_app(settings.model_copy(update={"cors_origins": [FRONT_END]})))
    await api.register("alice")
    alice: LoggedIn = await api.login("alice")
    response = await api.call("GET", "/me", headers=alice.headers | {"Origin": FRONT_END})
    assert response.status_code == 200
    assert response.headers["access-control-allow-origin"] == FRONT_END
    refused = await api.call("GET", "/me", headers={"Origin": FRONT_END})
    assert refused.status_code == 401
    assert "www-authenticate" in refused.headers["access-control-expose-headers"].split(",")


async def test_with_no_origins_nothing_changes() -> None:
    app = app_with()
    _, preflight = await app.asgi_client.options("/items", headers=PREFLIGHT)
    assert preflight.status == 405  # no OPTIONS route, as before CORS existed
    assert preflight.json["msg"] == "Method OPTIONS not allowed for URL /items."
    _, answer = await app.asgi_client.get("/health", headers={"Origin": FRONT_END})
    assert cors_headers(answer.headers) == {}
