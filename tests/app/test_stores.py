"""GET/POST /stores and GET/DELETE /stores/{id}."""

from __future__ import annotations

from typing import Any

import pytest

from app.db import open_database
from app.db.models import Item
from app.schemas import STORE_ITEMS_SHOWN
from app.settings import Settings
from sanic_jwt_extended import JWT
from tests.app.helpers import Api, LoggedIn, untimed
from tests.helpers import bearer

pytestmark = pytest.mark.usefixtures("database_url")


async def test_anyone_lists_stores_by_id_with_paging(api: Api, user: LoggedIn) -> None:
    for name in ("North", "South", "East"):
        await api.create_store(user, name)
    everything = await api.call("GET", "/stores")
    assert everything.status_code == 200
    assert untimed(everything.json) == {
        "stores": [
            {"id": 1, "name": "North"},
            {"id": 2, "name": "South"},
            {"id": 3, "name": "East"},
        ],
        "total": 3,
        "limit": 50,
        "offset": 0,
    }
    page = await api.call("GET", "/stores?limit=2&offset=1")
    assert untimed(page.json) == {
        "stores": [{"id": 2, "name": "South"}, {"id": 3, "name": "East"}],
        "total": 3,
        "limit": 2,
        "offset": 1,
    }


@pytest.mark.parametrize(
    "query",
    ["limit=0", "limit=101", "limit=abc", "offset=-1", "limit=", "limit=1&limit=2", "page=2"],
)
async def test_list_stores_refuses_a_bad_query(api: Api, query: str) -> None:
    response = await api.call("GET", f"/stores?{query}")
    assert response.status_code == 422
    assert response.json["errors"]


async def test_a_user_creates_a_store_with_a_trimmed_name(api: Api, user: LoggedIn) -> None:
    response = await api.call(
        "POST", "/stores", json={"name": "  Corner shop \t"}, headers=user.headers
    )
    assert response.status_code == 201
    assert untimed(response.json) == {"id": 1, "name": "Corner shop"}


async def test_creating_a_store_needs_a_token(api: Api) -> None:
    response = await api.call("POST", "/stores", json={"name": "Corner shop"})
    assert response.status_code == 401
    assert (await api.call("GET", "/stores")).json["total"] == 0


async def test_store_names_are_unique_after_trimming(api: Api, user: LoggedIn) -> None:
    await api.create_store(user, "Corner shop")
    response = await api.call(
        "POST", "/stores", json={"name": " Corner shop "}, headers=user.headers
    )
    assert response.status_code == 409
    assert response.json == {"msg": "A store with that name already exists."}


@pytest.mark.parametrize(
    "body",
    [
        {"name": ""},
        {"name": "   "},
        {"name": "x" * 81},
        {"name": 42},
        {"name": None},
        {"name": "Tab\tinside"},
        {"name": "Shop", "id": 7},
        {},
    ],
)
async def test_creating_a_store_refuses_invalid_bodies(
    api: Api, user: LoggedIn, body: dict[str, Any]
) -> None:
    response = await api.call("POST", "/stores", json=body, headers=user.headers)
    assert response.status_code == 422
    assert (await api.call("GET", "/stores")).json["total"] == 0


async def test_a_store_name_may_have_80_characters(api: Api, user: LoggedIn) -> None:
    await api.create_store(user, "x" * 80)


async def test_a_name_is_trimmed_before_its_length_is_checked(api: Api, user: LoggedIn) -> None:
    store_id = await api.create_store(user, "  " + "y" * 80 + " ")
    assert (await api.call("GET", f"/stores/{store_id}")).json["name"] == "y" * 80
    response = await api.call("POST", "/stores", json={"name": "z" * 81}, headers=user.headers)
    assert response.status_code == 422
    assert response.json["errors"] == [
        {"loc": ["name"], "msg": "String should have at most 80 characters"}
    ]


async def test_get_store_includes_its_items(api: Api, user: LoggedIn) -> None:
    store_id = await api.create_store(user)
    await api.create_item(user, store_id, "Apple", 1.5)
    await api.create_item(user, store_id, "Pear", 2)
    response = await api.call("GET", f"/stores/{store_id}")
    assert response.status_code == 200
    assert untimed(response.json) == {
        "id": store_id,
        "name": "Corner shop",
        "items": [
            {"id": 1, "name": "Apple", "price": 1.5, "store_id": store_id},
            {"id": 2, "name": "Pear", "price": 2, "store_id": store_id},
        ],
    }


async def test_get_store_lists_its_first_items_only(
    api: Api, user: LoggedIn, settings: Settings
) -> None:
    store_id = await api.create_store(user)
    async with open_database(settings.database_url):
        names = [f"Item {number:03}" for number in range(STORE_ITEMS_SHOWN + 1)]
        await Item.bulk_create(Item(name=name, price=1, store_id=store_id) for name in names)
    response = await api.call("GET", f"/stores/{store_id}")
    assert [item["name"] for item in response.json["items"]] == names[:STORE_ITEMS_SHOWN]
    rest = await api.call(
        "GET", f"/items?store_id={store_id}&offset={STORE_ITEMS_SHOWN}", headers=user.headers
    )
    assert [item["name"] for item in rest.json["items"]] == names[STORE_ITEMS_SHOWN:]
    assert rest.json["total"] == STORE_ITEMS_SHOWN + 1


async def test_a_page_past_the_end_still_has_the_total(api: Api, user: LoggedIn) -> None:
    await api.create_store(user, "Only")
    response = await api.call("GET", "/stores?offset=5")
    assert (response.json["stores"], response.json["total"]) == ([], 1)


@pytest.mark.parametrize("store_id", ["9", "0", "-1", "99999999999999999999", "abc"])
async def test_get_store_answers_404_for_a_missing_store(api: Api, store_id: str) -> None:
    response = await api.call("GET", f"/stores/{store_id}")
    assert response.status_code == 404
    assert set(response.json) == {"msg"}


async def test_an_admin_deletes_a_store_and_its_items(
    api: Api, user: LoggedIn, admin: LoggedIn
) -> None:
    store_id = await api.create_store(user)
    item_id = await api.create_item(user, store_id)
    response = await api.call("DELETE", f"/stores/{store_id}", headers=admin.headers)
    assert response.status_code == 200
    assert response.json == {"msg": "Store deleted."}
    assert (await api.call("GET", f"/stores/{store_id}")).status_code == 404
    assert (await api.call("GET", f"/items/{item_id}", headers=user.headers)).status_code == 404


async def test_deleting_a_store_is_for_admins_only(api: Api, user: LoggedIn) -> None:
    store_id = await api.create_store(user)
    response = await api.call("DELETE", f"/stores/{store_id}", headers=user.headers)
    assert response.status_code == 403
    assert response.json == {"msg": "Admin privilege required."}
    assert (await api.call("DELETE", f"/stores/{store_id}")).status_code == 401
    assert (await api.call("GET", f"/stores/{store_id}")).status_code == 200


async def test_the_admin_role_without_the_is_admin_claim_is_refused(
    api: Api, user: LoggedIn
) -> None:
    store_id = await api.create_store(user)
    half_admin = JWT.create_access_token(
        "1", role="ADMIN", fresh=True, private_claims={"uid": 1, "is_admin": False}
    )
    response = await api.call("DELETE", f"/stores/{store_id}", headers=bearer(half_admin))
    assert response.status_code == 403
    assert response.json == {"msg": "Admin privilege required."}


async def test_deleting_a_missing_store_answers_404(api: Api, admin: LoggedIn) -> None:
    response = await api.call("DELETE", "/stores/5", headers=admin.headers)
    assert response.status_code == 404
    assert response.json == {"msg": "Store not found."}


async def test_names_are_stored_in_one_unicode_spelling(api: Api, user: LoggedIn) -> None:
    composed = await api.call("POST", "/stores", json={"name": "Caf\u00e9"}, headers=user.headers)
    assert composed.status_code == 201
    decomposed = await api.call(
        "POST", "/stores", json={"name": "Cafe\u0301"}, headers=user.headers
    )
    assert decomposed.status_code == 409  # the same name, spelt the other way
    fetched = await api.call("GET", f"/stores/{composed.json['id']}")
    assert fetched.json["name"] == "Caf\u00e9"


@pytest.mark.parametrize(
    "name",
    [
        "\u200b",  # zero-width space
        "\ufeff",  # byte order mark
        "\u200b\u200c\u200d\u2060",  # joiners and a word joiner
        "\u3164",  # the Hangul filler: a letter by category, drawn blank
        "\uffa0\u115f\u1160",  # its halfwidth, leading and vowel forms
        "\u2800 \u2800",  # braille blanks around a space
        "Shop\u202e",  # right-to-left override
        "\u2066Shop\u2069",  # an isolate around a name
        "Sh\u202aop",  # an embedding inside
    ],
)
async def test_invisible_names_and_bidirectional_controls_are_refused(
    api: Api, user: LoggedIn, name: str
) -> None:
    response = await api.call("POST", "/stores", json={"name": name}, headers=user.headers)
    assert response.status_code == 422
    assert response.json["errors"][0]["loc"] == ["name"]
