"""sanic_jwt_extended.testing: tokens without a login, what carries them, a movable clock."""

from __future__ import annotations

import time
from datetime import timedelta
from typing import Any

import pytest
from sanic import Request, Sanic
from sanic.response import HTTPResponse, json

from sanic_jwt_extended import JWT, jwt_required
from sanic_jwt_extended.blacklist import InMemoryBlacklist
from sanic_jwt_extended.clock import CLOCK
from sanic_jwt_extended.testing import (
    access_token,
    bearer_headers,
    cookie_credentials,
    refresh_token,
    shifted_clock,
)
from sanic_jwt_extended.tokens import Token

from .helpers import AppFactory, build_app


async def test_a_minted_token_carries_identity_role_and_claims(make_app: AppFactory) -> None:
    app = make_app(use_acl=True, private_claim_prefix="shop")
    token = access_token(7, "ADMIN", fresh=True, app=app, private_claims={"plan": "gold"})
    _, response = await app.asgi_client.get("/admin", headers=bearer_headers(token, app=app))
    assert response.status == 200
    assert response.json["identity"] == "7"
    assert response.json["role"] == "ADMIN"
    assert response.json["fresh"] is True
    assert response.json["private_claims"] == {"plan": "gold"}


async def test_tokens_are_minted_for_the_app_named_not_the_last_initialised() -> None:
    first = build_app(jwt_header_key="X-Token", jwt_header_prefix="")
    build_app()  # initialised last, with the default header names
    headers = bearer_headers(access_token("alice", app=first), app=first)
    assert list(headers) == ["X-Token"] and headers["X-Token"].count(".") == 2
    _, response = await first.asgi_client.get("/protected", headers=headers)
    assert response.status == 200


async def test_a_refresh_token_goes_in_the_refresh_header(app: Sanic[Any, Any]) -> None:
    headers = bearer_headers(refresh_token("alice", app=app), app=app)
    assert list(headers) == ["X-Refresh-Token"]
    _, response = await app.asgi_client.post("/refresh", headers=headers)
    assert (response.status, response.json["type"]) == (200, "refresh")


async def test_cookie_credentials_pass_the_csrf_check(make_app: AppFactory) -> None:
    app = make_app(token_location=("cookies",))
    credentials = cookie_credentials(access_token("alice", app=app), app=app)
    assert set(credentials.cookies) == {"access_token_cookie", "csrf_access_token"}
    assert credentials.headers == {"X-CSRF-Token": credentials.cookies["csrf_access_token"]}
    _, response = await app.asgi_client.post("/protected", headers=credentials.request_headers)
    assert response.status == 200
    cookies_only = {"Cookie": credentials.request_headers["Cookie"]}
    _, response = await app.asgi_client.post("/protected", headers=cookies_only)
    assert response.status == 401  # the CSRF header is what a cross-site form cannot send


async def test_cookie_credentials_without_csrf_hold_the_token_alone(make_app: AppFactory) -> None:
    app = make_app(token_location=("cookies",), csrf_protect=False)
    credentials = cookie_credentials(refresh_token("alice", app=app), app=app)
    assert list(credentials.cookies) == ["refresh_token_cookie"] and credentials.headers == {}
    _, response = await app.asgi_client.post("/refresh", headers=credentials.request_headers)
    assert response.status == 200


async def test_a_shifted_clock_expires_tokens_without_sleeping(app: Sanic[Any, Any]) -> None:
    headers = bearer_headers(access_token("alice", app=app), app=app)
    with shifted_clock(timedelta(minutes=14)) as clock:
        _, response = await app.asgi_client.get("/protected", headers=headers)
        assert response.status == 200
        clock.advance(timedelta(minutes=2))
        _, response = await app.asgi_client.get("/protected", headers=headers)
        assert (response.status, response.json) == (401, {"msg": "Token has expired."})
    _, response = await app.asgi_client.get("/protected", headers=headers)
    assert response.status == 200  # the clock is back


async def test_tokens_minted_in_a_shifted_clock_are_dated_by_it(app: Sanic[Any, Any]) -> None:
    with shifted_clock(timedelta(days=1)) as clock:
        token = Token(access_token("alice", app=app))
        assert abs((token.iat - clock.now).total_seconds()) < 5
        assert token.exp is not None and token.exp - token.iat == timedelta(minutes=15)
        _, response = await app.asgi_client.get("/protected", headers=bearer_headers(token.raw_jwt))
        assert response.status == 200
    _, response = await app.asgi_client.get("/protected", headers=bearer_headers(token.raw_jwt))
    assert response.status == 422  # issued a day from now: not yet valid (iat)


async def test_revoke_all_and_a_new_login_keep_their_order_in_a_shifted_clock(
    make_app: AppFactory,
) -> None:
    app = make_app(use_blacklist=True, blacklist_class=InMemoryBlacklist)
    before = access_token("alice", app=app)
    with shifted_clock(timedelta(hours=1)):
        await JWT.revoke_all("alice")
        after = access_token("alice", app=app)
        _, old = await app.asgi_client.get("/protected", headers=bearer_headers(before))
        _, new = await app.asgi_client.get("/protected", headers=bearer_headers(after))
    assert (old.status, new.status) == (401, 200)


def test_the_clock_is_put_back_even_when_the_block_fails() -> None:
    with pytest.raises(RuntimeError), shifted_clock(timedelta(hours=3)):
        assert CLOCK.now() > time.time() + 3 * 3600 - 5
        raise RuntimeError
    assert CLOCK.offset == 0
    with shifted_clock(timedelta(seconds=-30)), shifted_clock(timedelta(seconds=10)):
        assert CLOCK.offset == -20
    assert CLOCK.offset == 0


async def test_a_view_can_use_the_helpers_tokens_as_login_ones() -> None:
    app = build_app()

    @app.get("/whoami")
    @jwt_required
    async def whoami(request: Request, token: Token) -> HTTPResponse:
        return json({"sub": token.sub})

    _, response = await app.asgi_client.get(
        "/whoami", headers=bearer_headers(access_token("carol", app=app), app=app)
    )
    assert response.json == {"sub": "carol"}
