"""The OpenAPI document: valid, complete, and in step with what the routes do."""

from __future__ import annotations

from typing import Any

import jsonschema
import pytest
from openapi_spec_validator import validate
from sanic import Sanic

from app.web.docs import ASSETS
from tests.app.helpers import Api, LoggedIn, build_app, make_settings

# Every operation, with the token it needs (None: anyone) and the statuses it answers.
BODY = {400, 413, 415, 422}
TOKEN = {401}
ADMIN = TOKEN | {403}
ROUTES: dict[tuple[str, str], tuple[str | None, set[int]]] = {
    ("post", "/register"): (None, {201, 409, 503} | BODY),
    ("post", "/login"): (None, {200, 401, 429, 503} | BODY),
    ("post", "/refresh"): ("refresh_token", {200, 503} | TOKEN),
    ("post", "/logout"): ("access_token", {200, 400, 503} | TOKEN),
    ("get", "/me"): ("access_token", {200, 503} | TOKEN),
    ("get", "/stores"): (None, {200, 422, 503}),
    ("post", "/stores"): ("access_token", {201, 409, 503} | TOKEN | BODY),
    ("get", "/stores/{store_id}"): (None, {200, 404, 503}),
    ("delete", "/stores/{store_id}"): ("access_token", {200, 404, 503} | ADMIN),
    ("get", "/items"): ("access_token", {200, 422, 503} | TOKEN),
    ("post", "/items"): ("access_token", {201, 404, 409, 503} | TOKEN | BODY),
    ("get", "/items/{item_id}"): ("access_token", {200, 404, 503} | TOKEN),
    ("put", "/items/{item_id}"): ("access_token", {200, 404, 409, 503} | TOKEN | BODY),
    ("delete", "/items/{item_id}"): ("access_token", {200, 404, 503} | ADMIN),
    ("get", "/users/{user_id}"): ("access_token", {200, 404, 503} | ADMIN),
    ("patch", "/users/{user_id}"): ("access_token", {200, 404, 409, 503} | ADMIN | BODY),
    ("delete", "/users/{user_id}"): ("access_token", {200, 404, 409, 503} | ADMIN),
    ("get", "/me/sessions"): ("access_token", {200, 503} | TOKEN),
    ("delete", "/me/sessions/{session_id}"): ("access_token", {200, 404, 503} | TOKEN),
    ("get", "/users/{user_id}/sessions"): ("access_token", {200, 404, 503} | ADMIN),
    ("delete", "/users/{user_id}/sessions/{session_id}"): (
        "access_token",
        {200, 404, 503} | ADMIN,
    ),
    ("get", "/health"): (None, {200, 503}),
    ("get", "/.well-known/jwks.json"): (None, {200, 404}),
}


@pytest.fixture
def docs_app() -> Sanic[Any, Any]:
    return build_app(make_settings(database_url="sqlite://:memory:"))


@pytest.fixture
async def spec(docs_app: Sanic[Any, Any]) -> dict[str, Any]:
    _, response = await docs_app.asgi_client.get("/docs/openapi.json")
    assert response.status == 200
    document: dict[str, Any] = response.json
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


def test_every_route_is_documented_with_its_security_and_statuses(
    spec: dict[str, Any], docs_app: Sanic[Any, Any]
) -> None:
    documented = operations(spec)
    assert set(documented) == set(ROUTES)
    for key, (scheme, statuses) in ROUTES.items():
        operation = documented[key]
        assert {int(status) for status in operation["responses"]} == statuses, key
        expected: list[dict[str, list[str]]] | None = None if scheme is None else [{scheme: []}]
        assert operation.get("security") == expected, key
        for response in operation["responses"].values():
            assert schema_of(response), key  # every answer is JSON of a known shape


def test_every_served_route_is_in_the_document(
    spec: dict[str, Any], docs_app: Sanic[Any, Any]
) -> None:
    # HEAD answers as GET does: its GET is documented, HEAD itself is left out.
    served = {
        (method.lower(), "/" + route.path.split("<")[0].rstrip("/"))
        for route in docs_app.router.routes
        if not route.path.startswith("docs")
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


@pytest.mark.parametrize(
    ("overrides", "served"),
    [({"docs": False}, False), ({"env": "production"}, False), ({"docs": True}, True)],
)
async def test_the_docs_setting_turns_the_page_and_the_document_off(
    overrides: dict[str, Any], served: bool
) -> None:
    settings = make_settings(database_url="sqlite://:memory:", **overrides)
    app = build_app(settings)
    for path in ("/docs", "/docs/openapi.json"):
        _, response = await app.asgi_client.get(path)
        assert (response.status == 200) is served
