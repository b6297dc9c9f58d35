"""The OpenAPI document: valid, complete, readable, the same on every start, and in step
with what the routes do."""

from __future__ import annotations

import json
from typing import Any

import jsonschema
import pytest
from openapi_spec_validator import validate
from sanic import Sanic

from app.web.docs import ASSETS, REDOC_SCRIPT
from tests.app.helpers import Api, LoggedIn, build_app, make_settings

# Every operation: its operationId, the token it needs (None: anyone) and the statuses
# it answers. An access token is also had through OAuth2's password flow (the page's
# Authorize with a username and password).
BODY = {400, 413, 415, 422}
TOKEN = {401}
ADMIN = TOKEN | {403}
Security = list[dict[str, list[str]]]
ACCESS: Security = [{"access_token": []}, {"oauth2": []}]
REFRESH: Security = [{"refresh_token": []}]
ROUTES: dict[tuple[str, str], tuple[str, Security | None, set[int]]] = {
    ("post", "/register"): ("register", None, {201, 409, 503} | BODY),
    ("post", "/login"): ("login", None, {200, 401, 429, 503} | BODY),
    ("post", "/refresh"): ("refresh", REFRESH, {200, 503} | TOKEN),
    ("post", "/logout"): ("logout", ACCESS, {200, 400, 503} | TOKEN),
    ("post", "/logout/all"): ("logoutEverywhere", ACCESS, {200, 503} | TOKEN),
    ("get", "/me"): ("getMe", ACCESS, {200, 503} | TOKEN),
    ("put", "/me/password"): (
        "changeMyPassword",
        ACCESS,
        {200, 403, 409, 429, 503} | TOKEN | BODY,
    ),
    ("get", "/stores"): ("listStores", None, {200, 422, 503}),
    ("post", "/stores"): ("createStore", ACCESS, {201, 409, 503} | TOKEN | BODY),
    ("get", "/stores/{store_id}"): ("getStore", None, {200, 404, 503}),
    ("delete", "/stores/{store_id}"): ("deleteStore", ACCESS, {200, 404, 503} | ADMIN),
    ("get", "/items"): ("listItems", ACCESS, {200, 422, 503} | TOKEN),
    ("post", "/items"): ("createItem", ACCESS, {201, 404, 409, 503} | TOKEN | BODY),
    ("get", "/items/{item_id}"): ("getItem", ACCESS, {200, 404, 503} | TOKEN),
    ("put", "/items/{item_id}"): ("replaceItem", ACCESS, {200, 404, 409, 503} | TOKEN | BODY),
    ("patch", "/items/{item_id}"): ("updateItem", ACCESS, {200, 404, 409, 503} | TOKEN | BODY),
    ("delete", "/items/{item_id}"): ("deleteItem", ACCESS, {200, 404, 503} | ADMIN),
    ("get", "/users"): ("listUsers", ACCESS, {200, 422, 503} | ADMIN),
    ("get", "/users/{user_id}"): ("getUser", ACCESS, {200, 404, 503} | ADMIN),
    ("patch", "/users/{user_id}"): ("updateUser", ACCESS, {200, 404, 409, 503} | ADMIN | BODY),
    ("delete", "/users/{user_id}"): ("deleteUser", ACCESS, {200, 404, 409, 503} | ADMIN),
    ("get", "/me/sessions"): ("listMySessions", ACCESS, {200, 503} | TOKEN),
    ("delete", "/me/sessions/{session_id}"): ("endMySession", ACCESS, {200, 404, 503} | TOKEN),
    ("get", "/users/{user_id}/sessions"): (
        "listUserSessions",
        ACCESS,
        {200, 404, 503} | ADMIN,
    ),
    ("delete", "/users/{user_id}/sessions/{session_id}"): (
        "endUserSession",
        ACCESS,
        {200, 404, 503} | ADMIN,
    ),
    ("get", "/health"): ("health", None, {200, 503}),
    ("get", "/.well-known/jwks.json"): ("listKeys", None, {200, 404}),
}


@pytest.fixture
def docs_app() -> Sanic[Any, Any]:
    return build_app(make_settings(database_url="sqlite://:memory:"))


async def document_of(app: Sanic[Any, Any]) -> bytes:
    _, response = await app.asgi_client.get("/docs/openapi.json")
    assert response.status == 200
    body: bytes = response.body
    return body


@pytest.fixture
async def spec(docs_app: Sanic[Any, Any]) -> dict[str, Any]:
    document: dict[str, Any] = json.loads(await document_of(docs_app))
    return document


def operations(spec: dict[str, Any]) -> dict[tuple[str, str], dict[str, Any]]:
    return {
        (method, path): operation
        for path, item in spec["paths"].items()
        for method, operation in item.items()
    }


def schema_of(response: dict[str, Any]) -> dict[str, Any]:
    schema: dict[str, Any] = response["content"]["application/json"]["schema"]
    return schema


def test_the_document_is_valid_openapi(spec: dict[str, Any]) -> None:
    validate(spec)
    assert spec["info"]["title"] == "Stores API"


def test_every_route_is_documented_with_its_name_security_and_statuses(
    spec: dict[str, Any], docs_app: Sanic[Any, Any]
) -> None:
    documented = operations(spec)
    assert set(documented) == set(ROUTES)
    for key, (name, security, statuses) in ROUTES.items():
        operation = documented[key]
        assert operation["operationId"] == name, key
        assert {int(status) for status in operation["responses"]} == statuses, key
        assert operation.get("security") == security, key
        for response in operation["responses"].values():
            assert schema_of(response), key  # every answer is JSON of a known shape


async def test_the_document_is_the_same_on_every_start_and_in_reading_order() -> None:
    """Two apps, each started anew for its request: byte for byte the same document;
    paths sorted, a path's methods in the order GET, POST, PUT, PATCH, DELETE, and each
    operation's answers by status."""
    settings = make_settings(database_url="sqlite://:memory:")
    first = await document_of(build_app(settings))
    second = await document_of(build_app(settings))
    assert first == second
    spec = json.loads(first)
    assert list(spec["paths"]) == sorted(spec["paths"])
    order = ["get", "post", "put", "patch", "delete"]
    for item in spec["paths"].values():
        assert list(item) == sorted(item, key=order.index)
        for operation in item.values():
            statuses = [int(status) for status in operation["responses"]]
            assert statuses == sorted(statuses)
    assert [tag["name"] for tag in spec["tags"]] == [
        "auth", "stores", "items", "users", "sessions", "health", "keys"
    ]  # fmt: skip
    assert all(tag["description"] for tag in spec["tags"])


def test_operations_are_written_for_their_users(spec: dict[str, Any]) -> None:
    """Summaries and descriptions of their own, not generated from a function's name
    ("Get Item") nor taken from the code's docstrings."""
    for (method, path), operation in operations(spec).items():
        summary, description = operation["summary"], operation["description"]
        name = operation["operationId"]
        assert name.isalpha() and name[0].islower(), name  # no `get~items.get_item`
        assert summary[0].isupper() and not summary.endswith("."), (method, path)
        assert summary != summary.title() or len(summary.split()) == 1, (method, path)
        assert description.endswith((".", ".)")), (method, path)
    assert operations(spec)["get", "/items/{item_id}"]["summary"] == "Read an item"


def _referenced_models(spec: dict[str, Any]) -> set[str]:
    """The component schemas that a request or response body names."""
    names = set()
    for operation in operations(spec).values():
        bodies = [operation.get("requestBody", {}), *operation["responses"].values()]
        for body in bodies:
            for media in body.get("content", {}).values():
                names.add(media["schema"]["$ref"].rsplit("/", 1)[1])
    return names


def test_every_body_has_an_example_with_no_placeholder(spec: dict[str, Any]) -> None:
    schemas = spec["components"]["schemas"]
    for name in _referenced_models(spec):
        example = schemas[name]["example"]
        assert "string" not in json.dumps(example), name
        jsonschema.validate(example, {**schemas[name], "components": spec["components"]})
    # An error's example is the sentence it answers.
    documented = operations(spec)
    assert documented["get", "/items/{item_id}"]["responses"]["404"]["content"]["application/json"][
        "example"
    ] == {"msg": "Item not found."}
    assert documented["delete", "/items/{item_id}"]["responses"]["200"]["content"][
        "application/json"
    ]["example"] == {"msg": "Item deleted."}


def test_the_password_flow_logs_in_at_login_with_a_form_or_json(spec: dict[str, Any]) -> None:
    assert spec["components"]["securitySchemes"]["oauth2"] == {
        "type": "oauth2",
        "description": spec["components"]["securitySchemes"]["oauth2"]["description"],
        "flows": {"password": {"tokenUrl": "/login", "scopes": {}}},
    }
    content = operations(spec)["post", "/login"]["requestBody"]["content"]
    assert content == {
        "application/json": {"schema": {"$ref": "#/components/schemas/Login"}},
        "application/x-www-form-urlencoded": {
            "schema": {"$ref": "#/components/schemas/PasswordGrant"}
        },
    }
    grant = spec["components"]["schemas"]["PasswordGrant"]
    assert grant["properties"]["grant_type"]["enum"] == ["password"]
    assert grant["required"] == ["grant_type", "username", "password"]


def test_every_served_route_is_in_the_document(
    spec: dict[str, Any], docs_app: Sanic[Any, Any]
) -> None:
    # HEAD answers as GET does: its GET is documented, HEAD itself is left out.
    served = {
        (method.lower(), "/" + route.path.split("<")[0].rstrip("/"))
        for route in docs_app.router.routes
        if not route.path.startswith(("docs", "redoc"))
        for method in route.methods
        if method != "HEAD"
    }
    documented = {(method, path.split("{")[0].rstrip("/")) for method, path in operations(spec)}
    assert served == documented
    assert all("head" not in item for item in spec["paths"].values())


def test_errors_have_the_msg_body_and_validation_its_errors(spec: dict[str, Any]) -> None:
    schemas = spec["components"]["schemas"]
    documented = operations(spec)
    assert schema_of(documented["post", "/register"]["responses"]["409"]) == {
        "$ref": "#/components/schemas/Message"
    }
    assert schemas["Message"]["required"] == ["msg"]
    assert schema_of(documented["post", "/register"]["responses"]["422"]) == {
        "$ref": "#/components/schemas/InvalidRequestBody"
    }
    assert schemas["InvalidRequestBody"]["required"] == ["msg", "errors"]
    logout = documented["post", "/logout"]
    # Its 503 is the journal's database, or the blacklist: both are said.
    assert logout["responses"]["503"]["description"] == (
        "The database is unavailable. The token blacklist cannot be reached."
    )
    assert [(p["name"], p["in"]) for p in logout["parameters"]] == [("X-Refresh-Token", "header")]
    # A malformed token is a 401 (RFC 6750): a protected route's 422 is its body's alone.
    assert schema_of(documented["post", "/items"]["responses"]["422"]) == {
        "$ref": "#/components/schemas/InvalidRequestBody"
    }
    assert schema_of(documented["get", "/me"]["responses"]["401"]) == {
        "$ref": "#/components/schemas/JWTErrorMessage"
    }
    assert "Roles allowed: ADMIN." in documented["delete", "/items/{item_id}"]["description"]


def test_bodies_and_queries_are_the_validating_models(spec: dict[str, Any]) -> None:
    schemas = spec["components"]["schemas"]
    documented = operations(spec)
    body = documented["post", "/items"]["requestBody"]
    assert body["required"] is True
    assert schema_of(body) == {"$ref": "#/components/schemas/ItemIn"}
    assert schemas["ItemIn"]["additionalProperties"] is False
    assert schemas["ItemIn"]["properties"]["price"] == {
        "title": "Price",
        "type": "number",
        "minimum": 0.0,
        "maximum": 1_000_000.0,
        "x-decimal-places": 2,
        "description": "At most 2 decimal places.",
    }
    # What a float-dividing validator makes of the document's price: it takes 19.99.
    for price in (19.99, 4.35, 0.01):
        jsonschema.validate(price, schemas["ItemIn"]["properties"]["price"])
    parameters = {p["name"]: p for p in documented["get", "/items"]["parameters"]}
    assert parameters["limit"]["in"] == "query"
    assert parameters["limit"]["schema"]["maximum"] == 100
    assert parameters["store_id"]["schema"]["nullable"] is True
    assert parameters["store_id"]["required"] is False
    # A partial update: any field, at least one, none of them null.
    patch = schemas["ItemPatch"]
    assert (patch["minProperties"], patch.get("required")) == (1, None)
    assert all("default" not in field for field in patch["properties"].values())


async def test_what_the_document_says_is_what_validation_does(api: Api, user: LoggedIn) -> None:
    """The documented bounds are the enforced ones: the same model does both."""
    _, response = await api.app.asgi_client.get("/docs/openapi.json")
    limit = {p["name"]: p for p in operations(response.json)["get", "/items"]["parameters"]}
    maximum = limit["limit"]["schema"]["maximum"]
    ok = await api.call("GET", f"/items?limit={maximum}", headers=user.headers)
    too_many = await api.call("GET", f"/items?limit={maximum + 1}", headers=user.headers)
    assert ok.status == 200
    assert too_many.status == 422
    assert too_many.json["errors"][0]["loc"] == ["limit"]


async def test_the_page_and_its_assets_are_served_here(docs_app: Sanic[Any, Any]) -> None:
    _, page = await docs_app.asgi_client.get("/docs")
    assert page.status == 200
    assert "/docs/swagger-ui/swagger-ui-bundle.min.js" in page.text
    assert "//" not in page.text.replace("://", "")  # no other host's asset
    for name in ASSETS:
        _, asset = await docs_app.asgi_client.get(f"/docs/swagger-ui/{name}")
        assert asset.status == 200
    _, redirect = await docs_app.asgi_client.get("/docs/oauth2-redirect.html")
    assert (redirect.status, redirect.content_type) == (200, "text/html; charset=utf-8")
    _, missing = await docs_app.asgi_client.get("/docs/swagger-ui/index.html")
    assert missing.status == 404
    assert missing.json == {"msg": "Requested URL /docs/swagger-ui/index.html not found."}


async def test_redoc_and_its_script_are_served_here(docs_app: Sanic[Any, Any]) -> None:
    _, page = await docs_app.asgi_client.get("/redoc")
    assert (page.status, page.content_type) == (200, "text/html; charset=utf-8")
    assert f'<script src="{REDOC_SCRIPT}"></script>' in page.text
    assert '<redoc spec-url="/docs/openapi.json">' in page.text
    assert "//" not in page.text.replace("://", "")  # no other host's asset, no font
    _, script = await docs_app.asgi_client.get(REDOC_SCRIPT)
    assert script.status == 200
    assert b"Redoc" in script.body[:1000]


@pytest.mark.parametrize(
    ("overrides", "served"),
    [({"docs": False}, False), ({"env": "production"}, False), ({"docs": True}, True)],
)
async def test_the_docs_setting_turns_the_page_and_the_document_off(
    overrides: dict[str, Any], served: bool
) -> None:
    settings = make_settings(database_url="sqlite://:memory:", **overrides)
    app = build_app(settings)
    for path in ("/docs", "/docs/openapi.json", "/redoc"):
        _, response = await app.asgi_client.get(path)
        assert (response.status == 200) is served
