"""The benchmark kit's routes: absent by default, and the same answers as the real ones."""

from __future__ import annotations

import pytest

from app.settings import Settings
from tests.app.helpers import Api, build_app, untimed

pytestmark = pytest.mark.usefixtures("database_url")


@pytest.fixture
def bench_api(settings: Settings) -> Api:
    return Api(build_app(settings.model_copy(update={"bench_routes": True})))


async def test_the_bench_routes_are_off_by_default(api: Api, settings: Settings) -> None:
    assert not settings.bench_routes
    assert (await api.call("GET", "/bench/hello")).status_code == 404
    assert (await api.call("GET", "/bench/items/1")).status_code == 404


async def test_hello_is_a_bare_route(bench_api: Api) -> None:
    response = await bench_api.call("GET", "/bench/hello")
    assert response.status_code == 200
    assert response.json == {"hello": "world"}


async def test_an_item_without_auth_is_what_get_items_answers_with_a_token(
    bench_api: Api,
) -> None:
    await bench_api.register("alice")
    user = await bench_api.login("alice")
    store_id = await bench_api.create_store(user)
    item_id = await bench_api.create_item(user, store_id, "Apple", 2.5)
    without_auth = await bench_api.call("GET", f"/bench/items/{item_id}")
    with_auth = await bench_api.call("GET", f"/items/{item_id}", headers=user.headers)
    assert without_auth.status_code == with_auth.status_code == 200
    expected = {"id": item_id, "name": "Apple", "price": 2.5, "store_id": store_id}
    assert without_auth.json == with_auth.json
    assert untimed(with_auth.json) == expected
    missing = await bench_api.call("GET", "/bench/items/999")
    assert missing.status_code == 404
    assert missing.json == {"msg": "Item not found."}
