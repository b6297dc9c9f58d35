"""Whatever a client sends, the answer is JSON and never a 500, and stored data is intact."""

from __future__ import annotations

import pytest

from app.web.errors import sentence
from sanic_jwt_extended.verification import NOT_JSON
from tests.app.helpers import Api, LoggedIn, refusal, untimed
from tests.helpers import bearer
from tests.jwt.helpers import b64url

pytestmark = pytest.mark.usefixtures("database_url")


@pytest.fixture
async def store_id(api: Api, user: LoggedIn) -> int:
    return await api.create_store(user, "Kept")


async def assert_store_intact(api: Api, store_id: int) -> None:
    response = await api.call("GET", f"/stores/{store_id}")
    assert untimed(response.json) == {"id": store_id, "name": "Kept", "items": []}
    assert (await api.call("GET", "/stores")).json["total"] == 1


@pytest.mark.parametrize(
    "raw",
    [
        b"",
        b"{",
        b"{'name': 'x'}",
        b'{"name": NaN}',
        b'{"name": Infinity}',
        b"\xff\xfe{}",
        b"[" * 100_00 + b"]" * 100_00,
        b'{"name": 1' + b"0" * 5000 + b"}",
    ],
)
async def test_a_body_that_is_not_json_is_a_400(
    api: Api, user: LoggedIn, store_id: int, raw: bytes
) -> None:
    response = await api.call("POST", "/stores", content=raw, headers=user.headers)
    assert response.status_code == 400
    assert response.json == {"msg": "The request body is not valid JSON."}
    await assert_store_intact(api, store_id)


@pytest.mark.parametrize("raw", [b"[]", b'"Kept"', b"42", b"null", b"true", b'[{"name": "x"}]'])
async def test_json_that_is_not_an_object_is_a_422(
    api: Api, user: LoggedIn, store_id: int, raw: bytes
) -> None:
    response = await api.call("POST", "/stores", content=raw, headers=user.headers)
    assert response.status_code == 422
    assert response.json["errors"][0]["loc"] == []
    await assert_store_intact(api, store_id)


@pytest.mark.parametrize(
    "raw",
    [
        b'{"name": "Nul\\u0000byte"}',
        b'{"name": "lone \\ud800 surrogate"}',
        b'{"name": "bell\\u0007"}',
    ],
)
async def test_text_no_database_can_store_is_a_422(
    api: Api, user: LoggedIn, store_id: int, raw: bytes
) -> None:
    response = await api.call("POST", "/stores", content=raw, headers=user.headers)
    assert response.status_code == 422
    await assert_store_intact(api, store_id)


async def test_credentials_no_database_can_store_are_refused(api: Api) -> None:
    raw = b'{"username": "alice", "password": "lone \\udc00 surrogate"}'
    assert (await api.call("POST", "/register", content=raw)).status_code == 422
    assert (await api.call("POST", "/login", content=raw)).status_code == 422
    raw = b'{"username": "nul\\u0000", "password": "password1"}'
    assert (await api.call("POST", "/login", content=raw)).status_code == 422


async def test_validation_errors_say_where_and_what(api: Api, user: LoggedIn) -> None:
    response = await api.call(
        "POST", "/items", json={"name": "", "price": True}, headers=user.headers
    )
    assert response.status_code == 422
    assert response.json["msg"] == "The request is invalid."
    errors = {tuple(error["loc"]): error["msg"] for error in response.json["errors"]}
    assert set(errors) == {("name",), ("price",), ("store_id",)}
    assert all(isinstance(text, str) and text for text in errors.values())


async def test_an_unknown_path_is_a_json_404(api: Api) -> None:
    response = await api.call("GET", "/nowhere")
    assert response.status_code == 404
    assert response.headers["content-type"] == "application/json"
    assert set(response.json) == {"msg"}


async def test_a_wrong_method_is_a_json_405(api: Api, store_id: int) -> None:
    response = await api.call("PATCH", f"/stores/{store_id}", json={"name": "x"})
    assert response.status_code == 405
    assert set(response.json) == {"msg"}
    # RFC 9110: every 405 names the methods the path has, dynamic paths too.
    assert set(response.headers["allow"].split(", ")) == {"GET", "HEAD", "DELETE"}
    await assert_store_intact(api, store_id)
    listing = await api.call("PUT", "/stores", json={"name": "x"})
    assert listing.status_code == 405
    assert set(listing.headers["allow"].replace(" ", "").split(",")) == {"GET", "HEAD", "POST"}


@pytest.mark.parametrize(
    "path",
    [
        "/items/abc",
        "/items/1.5",
        "/items/-3",
        "/items/0",
        "/items/" + "9" * 30,
        "/items/9" + "0" * 5000,
    ],
)
async def test_ids_that_cannot_exist_are_a_404(api: Api, user: LoggedIn, path: str) -> None:
    response = await api.call("GET", path, headers=user.headers)
    assert response.status_code == 404
    assert set(response.json) == {"msg"}


@pytest.mark.parametrize(
    ("body", "where", "words"),
    [
        ({"name": "\u2800"}, "name", "must contain a visible character"),
        ({"name": "Pear", "price": True}, "price", "must be a JSON number"),
    ],
)
async def test_validation_messages_are_the_validators_words_without_pydantics_prefix(
    api: Api, user: LoggedIn, store_id: int, body: dict[str, object], where: str, words: str
) -> None:
    response = await api.call(
        "POST", "/items", json=body | {"store_id": store_id}, headers=user.headers
    )
    assert response.status_code == 422
    errors = {tuple(error["loc"]): error["msg"] for error in response.json["errors"]}
    assert errors[(where,)] == words


async def test_a_token_whose_header_is_not_utf8_is_refused_in_our_words(
    api: Api, user: LoggedIn
) -> None:
    """PyJWT words it "Invalid header string: 'utf-8' codec can't decode byte 0xb7 ...",
    Python's error: the API answers in a sentence of its own, refusing it as any token
    that is not one (the service answers RFC 6750's 401)."""
    _, payload, signature = user.access.split(".")
    header = b64url(b'{"alg": "HS256", "\xb7": 1}')
    response = await api.call("GET", "/me", headers=bearer(f"{header}.{payload}.{signature}"))
    assert refusal(response) == (401, "invalid_token")
    assert response.json == {"msg": sentence(NOT_JSON)}
