"""The benchmark kit's routes: not the service's own, and answering as the real routes do."""

from __future__ import annotations

import pytest

from app.settings import Settings
from bench.routes import mount
from tests.app.helpers import Api, build_app, untimed

pytestmark = pytest.mark.usefixtures("database_url")


@pytest.fixture
def bench_api(settings: Settings) -> Api:
    """The service's app with the kit's routes mounted, as `python -m bench.service` runs it."""
    app = build_app(settings)
    mount(app)
    return Api(app)


async def test_the_service_has_no_bench_routes(api: Api) -> None:
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
