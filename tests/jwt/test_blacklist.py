"""Revoking tokens: one at a time, every token of a subject, and a blacklist that fails."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any

import pytest

from sanic_jwt_extended import JWT
from sanic_jwt_extended.blacklist import BlacklistABC, InMemoryBlacklist
from sanic_jwt_extended.exceptions import BlacklistUnavailableError, ConfigurationConflictError
from sanic_jwt_extended.protocols import TokenFacts
from sanic_jwt_extended.tokens import Token

from .helpers import AppFactory, bearer

if TYPE_CHECKING:
    from sanic import Sanic


def with_memory_blacklist(make_app: AppFactory) -> Sanic[Any, Any]:
    return make_app(use_blacklist=True, blacklist_class=InMemoryBlacklist)


async def get_protected(app: Sanic[Any, Any], raw: str) -> int:
    _, response = await app.asgi_client.get("/protected", headers=bearer(raw))
    return int(response.status)


async def test_a_revoked_token_is_refused_everywhere(make_app: AppFactory) -> None:
    app = with_memory_blacklist(make_app)
    raw = JWT.create_access_token("alice")
    other = JWT.create_access_token("alice")
    _, response = await app.asgi_client.post("/logout", headers=bearer(raw))
    assert response.status == 200

    for path in ("/protected", "/optional"):
        _, response = await app.asgi_client.get(path, headers=bearer(raw))
        assert (response.status, response.json) == (401, {"msg": "Token has been revoked."})
    assert await get_protected(app, other) == 200  # only that token, keyed by its jti


async def test_the_docs_unawaited_revoke_still_revokes(make_app: AppFactory) -> None:
    app = with_memory_blacklist(make_app)
    raw = JWT.create_access_token("alice")
    _, response = await app.asgi_client.post("/logout-as-in-the-docs", headers=bearer(raw))
    assert (response.status, response.json) == (200, {"msg": "Goodbye"})
    assert await get_protected(app, raw) == 401


async def test_jwt_revoke_awaited_outside_a_request(make_app: AppFactory) -> None:
    app = with_memory_blacklist(make_app)
    raw = JWT.create_refresh_token("alice")
    await JWT.revoke(Token(raw))
    _, response = await app.asgi_client.post(
        "/refresh", headers={"X-Refresh-Token": f"Bearer {raw}"}
    )
    assert response.status == 401


async def test_revoke_all_refuses_earlier_tokens_but_not_later_ones(make_app: AppFactory) -> None:
    app = with_memory_blacklist(make_app)
    before = JWT.create_access_token("alice")
    refresh_before = JWT.create_refresh_token("alice")
    bob = JWT.create_access_token("bob")
    _, response = await app.asgi_client.post("/revoke-all/alice")
    assert response.status == 200
    after = JWT.create_access_token("alice")  # within the same second, most likely

    assert await get_protected(app, before) == 401
    _, response = await app.asgi_client.post(
        "/refresh", headers={"X-Refresh-Token": f"Bearer {refresh_before}"}
    )
    assert response.status == 401
    assert await get_protected(app, after) == 200
    assert await get_protected(app, bob) == 200


async def test_revoking_needs_the_blacklist(make_app: AppFactory) -> None:
    make_app()
    token = Token(JWT.create_access_token("alice"))
    with pytest.raises(ConfigurationConflictError, match="use_blacklist"):
        await token.revoke()
    with pytest.raises(ConfigurationConflictError, match="use_blacklist"):
        await JWT.revoke_all("alice")


class SetBlacklist(BlacklistABC):
    """A blacklist written for the 1.0 docs: no-argument __init__ and two methods."""

    def __init__(self) -> None:
        self.revoked: set[str] = set()

    async def register(self, token: TokenFacts) -> None:
        self.revoked.add(str(token.jti))

    async def is_blacklisted(self, token: TokenFacts) -> bool:
        return str(token.jti) in self.revoked


async def test_a_custom_blacklist_is_consulted(make_app: AppFactory) -> None:
    app = make_app(use_blacklist=True, blacklist_class=SetBlacklist)
    raw = JWT.create_access_token("alice")
    await JWT.revoke(Token(raw))
    assert isinstance(JWT.blacklist, SetBlacklist)
    assert JWT.blacklist.revoked == {str(Token(raw).jti)}
    assert await get_protected(app, raw) == 401


async def test_revoke_all_needs_a_blacklist_that_supports_it(make_app: AppFactory) -> None:
    make_app(use_blacklist=True, blacklist_class=SetBlacklist)
    with pytest.raises(ConfigurationConflictError, match="register_identity"):
        await JWT.revoke_all("alice")


class BrokenBlacklist(BlacklistABC):
    async def register(self, token: TokenFacts) -> None:
        raise ConnectionError("store is down")

    async def is_blacklisted(self, token: TokenFacts) -> bool:
        raise ConnectionError("store is down")


async def test_a_blacklist_that_fails_refuses_the_request_with_503(make_app: AppFactory) -> None:
    app = make_app(use_blacklist=True, blacklist_class=BrokenBlacklist)
    raw = JWT.create_access_token("alice")
    for path in ("/protected", "/optional"):
        _, response = await app.asgi_client.get(path, headers=bearer(raw))
        assert (response.status, response.json) == (
            503,
            {"msg": "The token blacklist cannot be reached."},
        )
    with pytest.raises(BlacklistUnavailableError):
        await JWT.revoke(Token(raw))


async def test_requests_without_a_token_do_not_touch_the_blacklist(make_app: AppFactory) -> None:
    app = make_app(use_blacklist=True, blacklist_class=BrokenBlacklist)
    _, response = await app.asgi_client.get("/optional")
    assert (response.status, response.json) == (200, {"token": None})


class WriteFailingBlacklist(BlacklistABC):
    """Answers lookups, but cannot store a revocation."""

    async def register(self, token: TokenFacts) -> None:
        raise ConnectionError("store is read-only")

    async def is_blacklisted(self, token: TokenFacts) -> bool:
        return False


@pytest.mark.parametrize("path", ["/logout", "/logout-as-in-the-docs"])
async def test_a_revocation_that_fails_is_a_503_awaited_or_not(
    make_app: AppFactory, path: str
) -> None:
    app = make_app(use_blacklist=True, blacklist_class=WriteFailingBlacklist)
    raw = JWT.create_access_token("alice")
    _, response = await app.asgi_client.post(path, headers=bearer(raw))
    assert (response.status, response.json) == (
        503,
        {"msg": "The token blacklist cannot be reached."},
    )


@pytest.mark.parametrize("method", ["register", "is_blacklisted", "register_identity", "ping"])
def test_a_blacklist_method_that_is_not_a_coroutine_is_refused_when_defined(method: str) -> None:
    def synchronous(self: BlacklistABC, *args: object) -> None:
        return None

    with pytest.raises(TypeError, match=rf"SyncBlacklist\.{method} must be a coroutine"):
        type("SyncBlacklist", (SetBlacklist,), {method: synchronous})


async def test_revoke_all_compares_the_issue_time_with_the_cutoff(make_app: AppFactory) -> None:
    """The blacklists read when a token was issued from `Token.issued_at`, to the microsecond."""
    make_app()
    token = Token(JWT.create_access_token("alice"))
    assert token.issued_at == token.raw_data["iat"]
    assert token.issued_at == pytest.approx(token.iat.timestamp(), abs=1e-6)
    blacklist = InMemoryBlacklist()
    await blacklist.register_identity("alice", token.issued_at - 1e-6, None)
    assert not await blacklist.is_blacklisted(token)
    await blacklist.register_identity("alice", token.issued_at, None)
    assert await blacklist.is_blacklisted(token)


async def test_a_token_dated_before_a_revoke_all_is_revoked_though_created_after(
    make_app: AppFactory,
) -> None:
    app = with_memory_blacklist(make_app)
    read_at = time.time()  # what the claims say was true at this moment
    await JWT.revoke_all("alice")
    dated = JWT.create_access_token("alice", issued_at=read_at)
    assert Token(dated).issued_at == pytest.approx(read_at, abs=1e-6)
    assert await get_protected(app, dated) == 401
    assert await get_protected(app, JWT.create_access_token("alice")) == 200


async def test_a_token_cannot_be_dated_in_the_future(make_app: AppFactory) -> None:
    make_app()
    with pytest.raises(ValueError, match="future"):
        JWT.create_access_token("alice", issued_at=time.time() + 60)
