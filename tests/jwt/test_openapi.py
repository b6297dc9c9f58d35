"""The protected routes in sanic-ext's OpenAPI specification, and nothing without it."""

from __future__ import annotations

import sys
from typing import Any

import pytest
from openapi_spec_validator import validate
from sanic import Request, Sanic
from sanic.response import HTTPResponse, json
from sanic_ext.extensions.openapi import openapi

from sanic_jwt_extended import JWT, jwt_required
from sanic_jwt_extended import openapi as jwt_openapi
from sanic_jwt_extended.blacklist import InMemoryBlacklist
from sanic_jwt_extended.tokens import Token

from .helpers import SECRET, add_views, new_app

ERROR_BODY = {"$ref": "#/components/schemas/JWTErrorMessage"}


def documented_app(**options: Any) -> Sanic[Any, Any]:
    """The test views on an app that sanic-ext extends (with OAS on) when it starts."""
    app = new_app()
    app.config.AUTO_EXTEND = True
    with JWT.initialize(app) as manager:
        manager.config.secret_key = SECRET
        manager.config.use_acl = True
        for name, value in options.items():
            setattr(manager.config, name, value)
    add_views(app)
    return app


async def specification(app: Sanic[Any, Any]) -> dict[str, Any]:
    _, response = await app.asgi_client.get("/docs/openapi.json")
    assert response.status == 200
    spec: dict[str, Any] = response.json
    validate(spec)
    return spec


async def test_each_decorator_writes_its_security_and_responses() -> None:
    paths = (await specification(documented_app()))["paths"]

    protected = paths["/protected"]["get"]
    assert protected["security"] == [{"access_token": []}]
    assert set(protected["responses"]) == {"401", "422"}
    assert protected["responses"]["401"]["content"]["application/json"]["schema"] == ERROR_BODY
    assert "No token was found" in protected["responses"]["401"]["description"]
    assert paths["/optional"]["get"]["security"] == [{"access_token": []}, {}]
    assert "No token" not in paths["/optional"]["get"]["responses"]["401"]["description"]
    assert paths["/refresh"]["post"]["security"] == [{"refresh_token": []}]
    assert "Fresh token required." in paths["/fresh"]["post"]["responses"]["401"]["description"]


async def test_with_rfc6750_errors_a_malformed_token_is_documented_as_a_401() -> None:
    paths = (await specification(documented_app(rfc6750_errors=True)))["paths"]
    protected = paths["/protected"]["get"]
    assert set(protected["responses"]) == {"401"}
    # The 401 says every refusal it now stands for, the malformed token's included.
    assert "A refresh token was sent where" in protected["responses"]["401"]["description"]
    assert set(paths["/admin"]["get"]["responses"]) == {"401", "403"}


async def test_roles_give_a_403_and_are_named_in_the_description() -> None:
    paths = (await specification(documented_app()))["paths"]

    assert "403" in paths["/admin"]["get"]["responses"]
    assert paths["/admin"]["get"]["description"] == "Roles allowed: ADMIN."
    assert paths["/not-banned"]["get"]["description"] == "Roles refused: BANNED."
    assert "403" not in paths["/protected"]["get"]["responses"]
    # The methods of an HTTPMethodView, each with its own guard.
    assert "403" in paths["/items"]["delete"]["responses"]
    assert "403" not in paths["/items"]["get"]["responses"]


async def test_the_schemes_follow_the_configured_header_names() -> None:
    app = documented_app(refresh_jwt_header_key="X-Renew", jwt_header_prefix="JWT")
    schemes = (await specification(app))["components"]["securitySchemes"]

    assert schemes["access_token"] == {
        "type": "apiKey",
        "in": "header",
        "name": "Authorization",
        "description": "access (the value is `JWT <token>`, prefix included)",
    }
    assert schemes["refresh_token"]["name"] == "X-Renew"


async def test_a_blacklist_adds_revocation_and_its_503() -> None:
    app = documented_app(use_blacklist=True, blacklist_class=InMemoryBlacklist)
    responses = (await specification(app))["paths"]["/protected"]["get"]["responses"]

    assert "Token has been revoked." in responses["401"]["description"]
    assert responses["503"]["content"]["application/json"]["schema"] == ERROR_BODY


async def test_cookies_need_the_csrf_header_on_unsafe_methods_only() -> None:
    spec = await specification(documented_app(token_location=("header", "cookies", "query")))
    paths, schemes = spec["paths"], spec["components"]["securitySchemes"]

    assert paths["/protected"]["get"]["security"] == [
        {"access_token": []},
        {"access_token_cookie": []},
        {"token_query": []},
    ]
    assert paths["/protected"]["post"]["security"][1] == {
        "access_token_cookie": [],
        "csrf_token": [],
    }
    assert paths["/refresh"]["post"]["security"][1] == {
        "refresh_token_cookie": [],
        "refresh_csrf_token": [],
    }
    assert schemes["access_token_cookie"]["in"] == "cookie"
    assert schemes["token_query"] == {
        "type": "apiKey",
        "in": "query",
        "name": "jwt",
        "description": "An access or refresh token",
    }
    assert "CSRF" in paths["/protected"]["post"]["responses"]["401"]["description"]
    assert "CSRF" not in paths["/protected"]["get"]["responses"]["401"]["description"]


async def test_what_the_app_documents_itself_is_kept() -> None:
    app = documented_app()

    @app.get("/own")
    @openapi.response(401, {"application/json": {"msg": str}}, "Log in first.")
    @jwt_required(allow=["ADMIN"])
    async def own(request: Request, token: Token) -> HTTPResponse:
        """Read the thing.

        Only for those who may.
        """
        return json({})

    operation = (await specification(app))["paths"]["/own"]["get"]
    assert operation["responses"]["401"]["description"] == "Log in first."
    assert operation["summary"] == "Read the thing."
    assert operation["description"] == "Only for those who may.\n\nRoles allowed: ADMIN."
    # Documenting again at each start adds nothing twice.
    assert (await specification(app))["paths"]["/own"]["get"] == operation


async def test_an_app_without_oas_is_left_alone() -> None:
    app = new_app()
    app.config.AUTO_EXTEND = True
    app.config.OAS = False
    with JWT.initialize(app) as manager:
        manager.config.secret_key = SECRET
    add_views(app)

    assert not getattr(app.ctx, jwt_openapi._LISTENING, False)
    _, response = await app.asgi_client.get("/docs/openapi.json")
    assert response.status == 404


async def test_without_sanic_ext_the_extension_works_as_before(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # None in sys.modules makes `import sanic_ext` fail as if it were not installed.
    monkeypatch.setitem(sys.modules, "sanic_ext", None)
    jwt_openapi._openapi.cache_clear()
    try:
        app = documented_app()
        assert not getattr(app.ctx, jwt_openapi._LISTENING, False)
        token = JWT.create_access_token("alice")
        _, response = await app.asgi_client.get(
            "/protected", headers={"Authorization": f"Bearer {token}"}
        )
        assert response.status == 200
        _, response = await app.asgi_client.get("/docs/openapi.json")
        assert response.status == 404
    finally:
        jwt_openapi._openapi.cache_clear()
