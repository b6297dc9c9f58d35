"""GET /users and GET/PATCH/DELETE /users/{id}: admins only, and changes end the user's
earlier sessions."""

from __future__ import annotations

from typing import Any

import pytest

from tests.app.helpers import Api, LoggedIn
from tests.helpers import bearer

pytestmark = pytest.mark.usefixtures("database_url")


async def test_an_admin_lists_users_by_id_a_page_at_a_time(
    api: Api, user: LoggedIn, admin: LoggedIn
) -> None:
    await api.register("bob")
    everyone = await api.call("GET", "/users", headers=admin.headers)
    assert everyone.status_code == 200
    assert everyone.json == {
        "users": [
            {"id": 1, "username": "alice", "role": "USER"},
            {"id": 2, "username": "root", "role": "ADMIN"},
            {"id": 3, "username": "bob", "role": "USER"},
        ],
        "total": 3,
        "limit": 50,
        "offset": 0,
    }
    page = await api.call("GET", "/users?limit=1&offset=1", headers=admin.headers)
    assert page.json == {
        "users": [{"id": 2, "username": "root", "role": "ADMIN"}],
        "total": 3,
        "limit": 1,
        "offset": 1,
    }


@pytest.mark.parametrize(
    ("search", "found"),
    [
        ("ALI", ["Alice.B"]),
        ("B", ["Alice.B", "bo_b", "robert"]),
        ("_", ["bo_b"]),  # a letter like any other, not LIKE's "any one character"
        ("%", []),  # nor "anything"
        ("o%b", []),
        ("", ["Alice.B", "bo_b", "root", "robert"]),
        ("zz", []),
    ],
)
async def test_search_finds_a_part_of_the_name_in_any_letter_case(
    api: Api, admin: LoggedIn, search: str, found: list[str]
) -> None:
    for name in ("Alice.B", "bo_b", "robert"):
        await api.register(name)
    response = await api.call("GET", "/users", params={"search": search}, headers=admin.headers)
    assert response.status_code == 200
    assert sorted(user["username"] for user in response.json["users"]) == sorted(found)
    assert response.json["total"] == len(found)


@pytest.mark.parametrize("query", ["limit=0", "limit=101", "offset=-1", f"search={'a' * 65}"])
async def test_listing_users_refuses_a_bad_query(api: Api, admin: LoggedIn, query: str) -> None:
    response = await api.call("GET", f"/users?{query}", headers=admin.headers)
    assert response.status_code == 422
    assert response.json["errors"][0]["loc"] == [query.split("=")[0]]


async def test_listing_users_is_for_admins_only(api: Api, user: LoggedIn) -> None:
    response = await api.call("GET", "/users", headers=user.headers)
    assert (response.status_code, response.json) == (403, {"msg": "Admin privilege required."})
    assert (await api.call("GET", "/users")).status_code == 401


async def test_an_admin_reads_a_user_without_the_password_hash(
    api: Api, user: LoggedIn, admin: LoggedIn
) -> None:
    response = await api.call("GET", "/users/1", headers=admin.headers)
    assert response.status_code == 200
    assert response.json == {"id": 1, "username": "alice", "role": "USER"}


async def test_users_are_for_admins_only(api: Api, user: LoggedIn) -> None:
    for method, body in (("GET", None), ("PATCH", {"role": "ADMIN"}), ("DELETE", None)):
        response = await api.call(method, "/users/1", json=body, headers=user.headers)
        assert response.status_code == 403
        assert response.json == {"msg": "Admin privilege required."}
        assert (await api.call(method, "/users/1", json=body)).status_code == 401
    assert (await api.call("GET", "/me", headers=user.headers)).json["role"] == "USER"


async def test_a_missing_user_answers_404(api: Api, admin: LoggedIn) -> None:
    for method, body in (("GET", None), ("PATCH", {"role": "ADMIN"}), ("DELETE", None)):
        response = await api.call(method, "/users/99", json=body, headers=admin.headers)
        assert response.status_code == 404
        assert response.json == {"msg": "User not found."}


async def test_promoting_a_user_ends_their_earlier_sessions(
    api: Api, user: LoggedIn, admin: LoggedIn
) -> None:
    response = await api.call("PATCH", "/users/1", json={"role": "ADMIN"}, headers=admin.headers)
    assert response.status_code == 200
    assert response.json == {"id": 1, "username": "alice", "role": "ADMIN"}
    assert (await api.call("GET", "/me", headers=user.headers)).status_code == 401
    refresh = await api.call(
        "POST", "/refresh", headers={"X-Refresh-Token": f"Bearer {user.refresh}"}
    )
    assert refresh.status_code == 401
    again = await api.login("alice")
    me = await api.call("GET", "/me", headers=again.headers)
    assert me.json["role"] == "ADMIN"
    assert me.json["private_claims"]["is_admin"] is True


async def test_a_demoted_admin_loses_admin_access_at_once(
    api: Api, admin: LoggedIn, settings: Any
) -> None:
    await api.register("bob")
    promoted = await api.call("PATCH", "/users/2", json={"role": "ADMIN"}, headers=admin.headers)
    assert promoted.status_code == 200
    bob = await api.login("bob")
    assert (await api.call("GET", "/users/1", headers=bob.headers)).status_code == 200
    demoted = await api.call("PATCH", "/users/2", json={"role": "USER"}, headers=admin.headers)
    assert demoted.json["role"] == "USER"
    assert (await api.call("GET", "/users/1", headers=bob.headers)).status_code == 401


async def test_changing_a_role_needs_a_fresh_token(
    api: Api, user: LoggedIn, admin: LoggedIn
) -> None:
    stale = bearer(await api.refreshed(admin))
    response = await api.call("PATCH", "/users/1", json={"role": "ADMIN"}, headers=stale)
    assert response.status_code == 401
    assert response.json == {"msg": "Fresh token required."}
    assert (await api.call("GET", "/users/1", headers=stale)).json["role"] == "USER"


@pytest.mark.parametrize(
    "body",
    [{"role": "SUPERUSER"}, {"role": "admin"}, {"role": 1}, {}, {"role": "ADMIN", "name": "x"}],
)
async def test_changing_a_role_refuses_invalid_bodies(
    api: Api, user: LoggedIn, admin: LoggedIn, body: dict[str, Any]
) -> None:
    response = await api.call("PATCH", "/users/1", json=body, headers=admin.headers)
    assert response.status_code == 422
    assert (await api.call("GET", "/me", headers=user.headers)).status_code == 200


async def test_deleting_a_user_ends_their_sessions(
    api: Api, user: LoggedIn, admin: LoggedIn
) -> None:
    response = await api.call("DELETE", "/users/1", headers=admin.headers)
    assert response.status_code == 200
    assert response.json == {"msg": "User deleted."}
    assert (await api.call("GET", "/me", headers=user.headers)).status_code == 401
    assert (await api.call("GET", "/users/1", headers=admin.headers)).status_code == 404
    login = await api.call(
        "POST", "/login", json={"username": "alice", "password": "correct horse battery"}
    )
    assert login.status_code == 401


async def test_deleting_a_user_needs_a_fresh_token(
    api: Api, user: LoggedIn, admin: LoggedIn
) -> None:
    stale = bearer(await api.refreshed(admin))
    assert (await api.call("DELETE", "/users/1", headers=stale)).status_code == 401
    assert (await api.call("GET", "/me", headers=user.headers)).status_code == 200
