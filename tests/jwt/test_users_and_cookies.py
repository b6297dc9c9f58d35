"""The user loader (`inject_user`, `load_user`) and the cookie helpers."""

from __future__ import annotations

from http.cookies import SimpleCookie
from typing import Any

import pytest
from sanic import Request, Sanic
from sanic.response import HTTPResponse, json

from sanic_jwt_extended import JWT, jwt_optional, jwt_required
from sanic_jwt_extended.cookies import (
    set_access_cookies,
    set_refresh_cookies,
    unset_jwt_cookies,
)
from sanic_jwt_extended.exceptions import ConfigurationConflictError
from sanic_jwt_extended.testing import access_token, bearer_headers
from sanic_jwt_extended.tokens import Token
from sanic_jwt_extended.users import inject_user

from .helpers import SECRET, new_app

USERS = {"1": {"id": 1, "name": "alice"}}


async def find_user(token: Token) -> dict[str, Any] | None:
    return USERS.get(token.identity)


def user_app(loader: Any = find_user) -> Sanic[Any, Any]:
    app = new_app()
    with JWT.initialize(app) as manager:
        manager.config.secret_key = SECRET
        manager.config.user_loader = loader

    @app.get("/me")
    @jwt_required
    @inject_user
    async def me(request: Request, token: Token, user: dict[str, Any]) -> HTTPResponse:
        return json({"user": user, "sub": token.sub})

    @app.get("/maybe")
    @jwt_optional
    @inject_user
    def maybe(request: Request, token: Token | None, user: Any) -> HTTPResponse:
        return json({"user": user})

    return app


@pytest.mark.parametrize("loader", [find_user, lambda token: USERS.get(token.identity)])
async def test_the_view_gets_the_user_the_loader_finds(loader: Any) -> None:
    app = user_app(loader)
    _, response = await app.asgi_client.get("/me", headers=bearer_headers(access_token(1)))
    assert response.json == {"user": {"id": 1, "name": "alice"}, "sub": "1"}


async def test_a_token_whose_user_is_gone_is_refused_as_revoked() -> None:
    app = user_app()
    _, response = await app.asgi_client.get("/me", headers=bearer_headers(access_token(2)))
    assert (response.status, response.json) == (401, {"msg": "Token has been revoked."})
    assert 'error="invalid_token"' in response.headers["WWW-Authenticate"]


async def test_no_token_under_jwt_optional_is_no_user() -> None:
    _, response = await user_app().asgi_client.get("/maybe")
    assert (response.status, response.json) == (200, {"user": None})


def test_a_user_loader_that_cannot_be_called_is_refused() -> None:
    with pytest.raises(ConfigurationConflictError, match="user_loader"):
        user_app(loader="find_user")


def cookie_app(**options: Any) -> Sanic[Any, Any]:
    app = new_app()
    with JWT.initialize(app) as manager:
        manager.config.secret_key = SECRET
        manager.config.token_location = ("cookies",)
        for name, value in options.items():
            setattr(manager.config, name, value)

    @app.post("/login")
    async def login(request: Request) -> HTTPResponse:
        response = json({"msg": "Logged in."})
        set_access_cookies(response, JWT.create_access_token("alice"), secure=False)
        set_refresh_cookies(response, JWT.create_refresh_token("alice"), secure=False)
        return response

    @app.post("/logout")
    async def logout(request: Request) -> HTTPResponse:
        response = json({"msg": "Logged out."})
        unset_jwt_cookies(response)
        return response

    @app.post("/protected")
    @jwt_required
    async def protected(request: Request, token: Token) -> HTTPResponse:
        return json({"sub": token.sub})

    return app


def set_cookies(headers: Any) -> SimpleCookie:
    jar: SimpleCookie = SimpleCookie()
    for value in headers.get_list("set-cookie"):
        jar.load(value)
    return jar


async def test_login_cookies_carry_the_tokens_and_csrf_values() -> None:
    app = cookie_app()
    _, response = await app.asgi_client.post("/login")
    jar = set_cookies(response.headers)
    assert set(jar) == {
        "access_token_cookie",
        "csrf_access_token",
        "refresh_token_cookie",
        "csrf_refresh_token",
    }
    assert jar["access_token_cookie"]["httponly"] and not jar["csrf_access_token"]["httponly"]
    assert jar["access_token_cookie"]["max-age"] in ("899", "900")
    assert jar["refresh_token_cookie"]["samesite"] == "Lax"
    access = Token(jar["access_token_cookie"].value)
    assert access.csrf == jar["csrf_access_token"].value

    cookie = f"access_token_cookie={access.raw_jwt}"
    csrf = {"X-CSRF-Token": jar["csrf_access_token"].value}
    _, response = await app.asgi_client.post("/protected", headers={"Cookie": cookie, **csrf})
    assert (response.status, response.json) == (200, {"sub": "alice"})


async def test_without_csrf_only_the_token_cookies_are_set() -> None:
    _, response = await cookie_app(csrf_protect=False).asgi_client.post("/login")
    assert set(set_cookies(response.headers)) == {"access_token_cookie", "refresh_token_cookie"}


async def test_a_token_that_never_expires_gets_a_session_cookie() -> None:
    _, response = await cookie_app(access_token_expires=False).asgi_client.post("/login")
    assert set_cookies(response.headers)["access_token_cookie"]["max-age"] == ""


async def test_logout_expires_all_four_cookies() -> None:
    _, response = await cookie_app().asgi_client.post("/logout")
    jar = set_cookies(response.headers)
    assert len(jar) == 4
    assert all(morsel["max-age"] == "0" and not morsel.value for morsel in jar.values())
