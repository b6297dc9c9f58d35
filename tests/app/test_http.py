"""HTTP manners every route keeps: HEAD, nosniff, JSON bodies declared as JSON."""

from __future__ import annotations

import pytest

from tests.app.helpers import Api, LoggedIn

pytestmark = pytest.mark.usefixtures("database_url")


@pytest.fixture
async def paths(api: Api, user: LoggedIn, admin: LoggedIn) -> list[str]:
    """One path per GET route, each naming a row that exists."""
    store_id = await api.create_store(user)
    item_id = await api.create_item(user, store_id)
    return [
        "/health",
        "/me",
        "/stores",
        f"/stores/{store_id}",
        "/items",
        f"/items/{item_id}",
        "/users/1",
    ]


async def test_head_answers_every_get_route_as_get_does_without_the_body(
    api: Api, admin: LoggedIn, paths: list[str]
) -> None:
    for path in paths:
        get = await api.call("GET", path, headers=admin.headers)
        head = await api.call("HEAD", path, headers=admin.headers)
        assert get.status_code == 200, path
        assert head.status_code == 200, path
        assert head.headers["content-type"] == get.headers["content-type"]
        assert head.content == b""


@pytest.mark.parametrize(
    ("method", "path"),
    [("GET", "/stores"), ("GET", "/nowhere"), ("POST", "/login"), ("GET", "/me")],
)
async def test_every_answer_forbids_content_sniffing(api: Api, method: str, path: str) -> None:
    response = await api.call(method, path)
    assert response.headers["x-content-type-options"] == "nosniff"


@pytest.mark.parametrize(
    ("content_type", "status"),
    [
        ("application/x-www-form-urlencoded", 415),  # what curl -d sends
        ("text/plain", 415),
        ("multipart/form-data", 415),
        ("application/json; charset=utf-8", 201),
        ("application/merge-patch+json", 201),
    ],
)
async def test_a_body_must_be_declared_as_json(
    api: Api, user: LoggedIn, content_type: str, status: int
) -> None:
    response = await api.call(
        "POST",
        "/stores",
        content=b'{"name": "Corner"}',
        headers=user.headers | {"Content-Type": content_type},
    )
    assert response.status_code == status
    if status == 415:
        assert "Content-Type: application/json" in response.json["msg"]
