"""GET/POST /items and GET/PUT/DELETE /items/{id}."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from app.db.models import Item, Store
from app.db.storage import delete_or_404, get_or_404
from app.web.routes import items
from tests.app.helpers import Api, LoggedIn, Pause, untimed
from tests.helpers import bearer

pytestmark = pytest.mark.usefixtures("database_url")


@pytest.fixture
async def store_id(api: Api, user: LoggedIn) -> int:
    return await api.create_store(user)


async def test_listing_items_needs_a_token(api: Api) -> None:
    assert (await api.call("GET", "/items")).status_code == 401


async def test_items_are_listed_by_id_with_paging_and_a_store_filter(
    api: Api, user: LoggedIn, store_id: int
) -> None:
    other_store = await api.create_store(user, "Other")
    await api.create_item(user, store_id, "Apple", 1)
    await api.create_item(user, other_store, "Bread", 2.25)
    await api.create_item(user, store_id, "Cherry", 3)
    everything = await api.call("GET", "/items", headers=user.headers)
    assert everything.status_code == 200
    assert [item["name"] for item in everything.json["items"]] == ["Apple", "Bread", "Cherry"]
    assert (everything.json["total"], everything.json["limit"], everything.json["offset"]) == (
        3,
        50,
        0,
    )
    filtered = await api.call(
        "GET", f"/items?store_id={store_id}&limit=1&offset=1", headers=user.headers
    )
    assert untimed(filtered.json) == {
        "items": [{"id": 3, "name": "Cherry", "price": 3, "store_id": store_id}],
        "total": 2,
        "limit": 1,
        "offset": 1,
    }
    none = await api.call("GET", "/items?store_id=99", headers=user.headers)
    assert none.json["items"] == []
    assert none.json["total"] == 0


@pytest.mark.parametrize(
    "query", ["store_id=abc", "store_id=0", "store_id=99999999999999", "limit=500", "offset=x"]
)
async def test_listing_items_refuses_a_bad_query(api: Api, user: LoggedIn, query: str) -> None:
    response = await api.call("GET", f"/items?{query}", headers=user.headers)
    assert response.status_code == 422
    assert response.json["msg"] == "The request is invalid."


async def test_a_fresh_token_creates_an_item(api: Api, user: LoggedIn, store_id: int) -> None:
    body = {"name": " Apple ", "price": 19.99, "store_id": store_id}
    response = await api.call("POST", "/items", json=body, headers=user.headers)
    assert response.status_code == 201
    assert untimed(response.json) == {
        "id": 1,
        "name": "Apple",
        "price": 19.99,
        "store_id": store_id,
    }
    fetched = await api.call("GET", "/items/1", headers=user.headers)
    assert fetched.json == response.json


async def test_creating_an_item_needs_a_fresh_token(
    api: Api, user: LoggedIn, store_id: int
) -> None:
    refreshed = await api.refreshed(user)
    body = {"name": "Apple", "price": 1, "store_id": store_id}
    response = await api.call("POST", "/items", json=body, headers=bearer(refreshed))
    assert response.status_code == 401
    assert response.json == {"msg": "Fresh token required."}
    assert (await api.call("POST", "/items", json=body)).status_code == 401


async def test_creating_an_item_in_a_missing_store_answers_404(api: Api, user: LoggedIn) -> None:
    body = {"name": "Apple", "price": 1, "store_id": 42}
    response = await api.call("POST", "/items", json=body, headers=user.headers)
    assert response.status_code == 404
    assert response.json == {"msg": "Store not found."}


async def test_item_names_are_unique_within_a_store_only(
    api: Api, user: LoggedIn, store_id: int
) -> None:
    await api.create_item(user, store_id, "Apple")
    body = {"name": "Apple", "price": 2, "store_id": store_id}
    response = await api.call("POST", "/items", json=body, headers=user.headers)
    assert response.status_code == 409
    assert response.json == {"msg": "An item with that name already exists in this store."}
    other_store = await api.create_store(user, "Other")
    await api.create_item(user, other_store, "Apple")


@pytest.mark.parametrize("price", [0, 0.01, 1_000_000, 1_000_000.00, 12.5, 100])
async def test_prices_within_the_rules_are_kept_exactly(
    api: Api, user: LoggedIn, store_id: int, price: float
) -> None:
    item_id = await api.create_item(user, store_id, "Thing", price)
    response = await api.call("GET", f"/items/{item_id}", headers=user.headers)
    assert response.json["price"] == price


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"price": "1.50"}, "price"),
        ({"price": True}, "price"),
        ({"price": None}, "price"),
        ({"price": 1.001}, "price"),
        ({"price": -0.01}, "price"),
        ({"price": 1_000_000.01}, "price"),
        ({"name": ""}, "name"),
        ({"name": "x" * 81}, "name"),
        ({"store_id": "1"}, "store_id"),
        ({"store_id": True}, "store_id"),
        ({"store_id": 2**40}, "store_id"),
        ({"colour": "red"}, "colour"),
    ],
)
async def test_creating_an_item_refuses_invalid_bodies(
    api: Api, user: LoggedIn, store_id: int, change: dict[str, Any], field: str
) -> None:
    body = {"name": "Apple", "price": 1, "store_id": store_id} | change
    response = await api.call("POST", "/items", json=body, headers=user.headers)
    assert response.status_code == 422
    assert response.json["errors"][0]["loc"][0] == field
    assert (await api.call("GET", "/items", headers=user.headers)).json["total"] == 0


@pytest.mark.parametrize("price", ["1e400", "1.0000000000000000001", "1E-7", "-0.001"])
async def test_prices_are_checked_exactly_as_written(
    api: Api, user: LoggedIn, store_id: int, price: str
) -> None:
    raw = f'{{"name": "Apple", "price": {price}, "store_id": {store_id}}}'
    response = await api.call("POST", "/items", content=raw, headers=user.headers)
    assert response.status_code == 422
    assert response.json["errors"][0]["loc"] == ["price"]


async def test_creating_an_item_refuses_a_missing_field(
    api: Api, user: LoggedIn, store_id: int
) -> None:
    response = await api.call(
        "POST", "/items", json={"name": "Apple", "store_id": store_id}, headers=user.headers
    )
    assert response.status_code == 422
    assert response.json["errors"] == [{"loc": ["price"], "msg": "Field required"}]


async def test_get_item_needs_a_token_and_an_existing_item(
    api: Api, user: LoggedIn, store_id: int
) -> None:
    item_id = await api.create_item(user, store_id)
    assert (await api.call("GET", f"/items/{item_id}")).status_code == 401
    missing = await api.call("GET", "/items/99", headers=user.headers)
    assert missing.status_code == 404
    assert missing.json == {"msg": "Item not found."}


async def test_put_renames_and_reprices_an_item_in_its_store(
    api: Api, user: LoggedIn, store_id: int
) -> None:
    item_id = await api.create_item(user, store_id, "Apple", 1)
    refreshed = bearer(await api.refreshed(user))
    body = {"name": "Green apple", "price": 1.25}
    response = await api.call("PUT", f"/items/{item_id}", json=body, headers=refreshed)
    assert response.status_code == 200
    assert untimed(response.json) == {
        "id": item_id,
        "name": "Green apple",
        "price": 1.25,
        "store_id": store_id,
    }
    assert (await api.call("GET", f"/items/{item_id}", headers=user.headers)).json == response.json


async def test_put_refuses_a_name_taken_in_the_store(
    api: Api, user: LoggedIn, store_id: int
) -> None:
    await api.create_item(user, store_id, "Apple", 1)
    pear = await api.create_item(user, store_id, "Pear", 2)
    body = {"name": "Apple", "price": 3}
    response = await api.call("PUT", f"/items/{pear}", json=body, headers=user.headers)
    assert response.status_code == 409
    kept = await api.call("GET", f"/items/{pear}", headers=user.headers)
    assert untimed(kept.json) == {"id": pear, "name": "Pear", "price": 2, "store_id": store_id}


@pytest.mark.parametrize(
    "body",
    [{"name": "Apple"}, {"name": "Apple", "price": 1, "store_id": 1}, {"name": " ", "price": 1}],
)
async def test_put_refuses_invalid_bodies(
    api: Api, user: LoggedIn, store_id: int, body: dict[str, Any]
) -> None:
    item_id = await api.create_item(user, store_id, "Apple", 1)
    response = await api.call("PUT", f"/items/{item_id}", json=body, headers=user.headers)
    assert response.status_code == 422
    assert (await api.call("GET", f"/items/{item_id}", headers=user.headers)).json["price"] == 1


async def test_put_answers_404_for_a_missing_item(api: Api, user: LoggedIn) -> None:
    response = await api.call(
        "PUT", "/items/7", json={"name": "A", "price": 1}, headers=user.headers
    )
    assert response.status_code == 404
    assert (await api.call("PUT", "/items/7", json={"name": "A", "price": 1})).status_code == 401


async def test_an_admin_deletes_an_item(
    api: Api, user: LoggedIn, admin: LoggedIn, store_id: int
) -> None:
    item_id = await api.create_item(user, store_id)
    response = await api.call("DELETE", f"/items/{item_id}", headers=admin.headers)
    assert response.status_code == 200
    assert response.json == {"msg": "Item deleted."}
    assert (await api.call("GET", f"/items/{item_id}", headers=user.headers)).status_code == 404
    again = await api.call("DELETE", f"/items/{item_id}", headers=admin.headers)
    assert again.status_code == 404


async def test_deleting_an_item_is_for_admins_only(api: Api, user: LoggedIn, store_id: int) -> None:
    item_id = await api.create_item(user, store_id)
    response = await api.call("DELETE", f"/items/{item_id}", headers=user.headers)
    assert response.status_code == 403
    assert response.json == {"msg": "Admin privilege required."}
    assert (await api.call("GET", f"/items/{item_id}", headers=user.headers)).status_code == 200


async def test_an_update_racing_a_delete_of_the_same_item_is_404(
    api: Api, user: LoggedIn, store_id: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    item_id = await api.create_item(user, store_id)
    pause = Pause()
    monkeypatch.setattr(items, "get_or_404", pause.after(get_or_404))
    update = asyncio.create_task(
        api.call(
            "PUT", f"/items/{item_id}", json={"name": "Pear", "price": 2}, headers=user.headers
        )
    )
    await pause.reached.wait()  # the row was read, not yet written
    with api.app.ctx.orm:  # what DELETE /items/{id} does, while the PUT is paused
        await delete_or_404(Item, item_id, "Item")
    pause.release()
    response = await update
    assert response.status_code == 404
    assert (await api.call("GET", f"/items/{item_id}", headers=user.headers)).status_code == 404


async def test_an_item_added_to_a_store_deleted_meanwhile_is_404(
    api: Api, user: LoggedIn, store_id: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    pause = Pause()
    monkeypatch.setattr(items, "get_or_404", pause.after(get_or_404))
    body = {"name": "Pear", "price": 2, "store_id": store_id}
    create = asyncio.create_task(api.call("POST", "/items", json=body, headers=user.headers))
    await pause.reached.wait()
    with api.app.ctx.orm:  # what DELETE /stores/{id} does, while the POST is paused
        await delete_or_404(Store, store_id, "Store")
    pause.release()
    response = await create
    assert response.status_code == 404
    assert response.json == {"msg": "Store not found."}


async def test_a_second_delete_of_the_same_item_is_404(
    api: Api, user: LoggedIn, admin: LoggedIn, store_id: int
) -> None:
    item_id = await api.create_item(user, store_id)
    first = await api.call("DELETE", f"/items/{item_id}", headers=admin.headers)
    second = await api.call("DELETE", f"/items/{item_id}", headers=admin.headers)
    assert (first.status_code, second.status_code) == (200, 404)


@pytest.mark.parametrize("price", [-0.0, 0, 0.0])
async def test_a_zero_price_is_stored_and_returned_as_zero(
    api: Api, user: LoggedIn, store_id: int, price: float
) -> None:
    body = {"name": "Free", "price": price, "store_id": store_id}
    created = await api.call("POST", "/items", json=body, headers=user.headers)
    assert created.status_code == 201
    assert '"price":0.0' in created.text.replace(" ", "")
    fetched = await api.call("GET", f"/items/{created.json['id']}", headers=user.headers)
    assert '"price":0.0' in fetched.text.replace(" ", "")


async def test_patch_changes_only_the_fields_sent(api: Api, user: LoggedIn, store_id: int) -> None:
    item_id = await api.create_item(user, store_id, "Apple", 1)
    repriced = await api.call(
        "PATCH", f"/items/{item_id}", json={"price": 1.25}, headers=user.headers
    )
    assert repriced.status_code == 200
    assert untimed(repriced.json) == {
        "id": item_id,
        "name": "Apple",
        "price": 1.25,
        "store_id": store_id,
    }
    renamed = await api.call(
        "PATCH", f"/items/{item_id}", json={"name": " Green apple "}, headers=user.headers
    )
    assert untimed(renamed.json) == {
        "id": item_id,
        "name": "Green apple",
        "price": 1.25,
        "store_id": store_id,
    }
    assert renamed.json["updated_at"] >= repriced.json["updated_at"]
    assert (await api.call("GET", f"/items/{item_id}", headers=user.headers)).json == renamed.json


@pytest.mark.parametrize(
    ("body", "loc"),
    [
        ({}, []),
        ({"name": None}, ["name"]),
        ({"price": None}, ["price"]),
        ({"price": "2"}, ["price"]),
        ({"price": 1.001}, ["price"]),
        ({"name": " "}, ["name"]),
        ({"store_id": 2}, ["store_id"]),
        ({"price": 2, "colour": "red"}, ["colour"]),
    ],
)
async def test_patch_refuses_what_put_refuses_and_an_empty_change(
    api: Api, user: LoggedIn, store_id: int, body: dict[str, Any], loc: list[str]
) -> None:
    item_id = await api.create_item(user, store_id, "Apple", 1)
    response = await api.call("PATCH", f"/items/{item_id}", json=body, headers=user.headers)
    assert response.status_code == 422
    assert response.json["errors"][0]["loc"] == loc
    if not loc:
        assert response.json["errors"][0]["msg"] == "Send at least one of name and price."
    kept = await api.call("GET", f"/items/{item_id}", headers=user.headers)
    assert (kept.json["name"], kept.json["price"]) == ("Apple", 1)


async def test_patch_answers_404_409_and_401_as_put_does(
    api: Api, user: LoggedIn, store_id: int
) -> None:
    await api.create_item(user, store_id, "Apple", 1)
    pear = await api.create_item(user, store_id, "Pear", 2)
    taken = await api.call("PATCH", f"/items/{pear}", json={"name": "Apple"}, headers=user.headers)
    assert (taken.status_code, taken.json) == (
        409,
        {"msg": "An item with that name already exists in this store."},
    )
    missing = await api.call("PATCH", "/items/99", json={"price": 3}, headers=user.headers)
    assert (missing.status_code, missing.json) == (404, {"msg": "Item not found."})
    assert (await api.call("PATCH", f"/items/{pear}", json={"price": 3})).status_code == 401
