"""How an app's own tests use `sanic_jwt_extended.testing`: run with `pytest` here.

No login flow, no sleeping: tokens are minted for any identity, and the extension's
clock is moved to see them expire.
"""

from datetime import timedelta
from typing import Any

import pytest
from basic import app as basic_app
from sanic import Sanic

from sanic_jwt_extended.testing import (
    access_token,
    bearer_headers,
    refresh_token,
    shifted_clock,
)

pytestmark = pytest.mark.asyncio


@pytest.fixture
def app() -> Sanic[Any, Any]:
    return basic_app


async def test_me_answers_the_tokens_identity(app: Sanic[Any, Any]) -> None:
    headers = bearer_headers(access_token("alice", app=app), app=app)
    _, response = await app.asgi_client.get("/me", headers=headers)
    assert response.status == 200
    assert response.json["username"] == "alice"


async def test_access_tokens_expire_after_15_minutes(app: Sanic[Any, Any]) -> None:
    headers = bearer_headers(access_token("alice", app=app), app=app)
    with shifted_clock(timedelta(minutes=14)) as clock:
        _, response = await app.asgi_client.get("/me", headers=headers)
        assert response.status == 200
        clock.advance(timedelta(minutes=1, seconds=1))
        _, response = await app.asgi_client.get("/me", headers=headers)
        assert response.status == 401


async def test_a_refresh_token_gets_a_new_access_token(app: Sanic[Any, Any]) -> None:
    headers = bearer_headers(refresh_token("alice", app=app), app=app)  # X-Refresh-Token
    _, response = await app.asgi_client.post("/refresh", headers=headers)
    assert response.status == 200
    assert "access_token" in response.json
