"""The cache of verified tokens: it skips decoding a token sent again, and nothing else.

Time claims, revocation, revoke_all and roles are checked on every request, cached or
not; the cache is bounded, per app, never holds a failure and can be turned off. Time is
moved by replacing the clock the time claims are checked against, never by sleeping.
"""

from __future__ import annotations

import base64
import json
import time
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from jwt.algorithms import HMACAlgorithm
from sanic import Request, Sanic
from sanic.response import HTTPResponse
from sanic.response import json as json_response

from sanic_jwt_extended import JWT, jwt_required, verification
from sanic_jwt_extended.blacklist import InMemoryBlacklist
from sanic_jwt_extended.config import Config
from sanic_jwt_extended.exceptions import ConfigurationConflictError
from sanic_jwt_extended.state import state_of
from sanic_jwt_extended.tokens import Token

from .helpers import AppFactory, bearer

Clock = Callable[[float], None]


@pytest.fixture
def move_clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    """Set the time claims' clock `seconds` ahead of the real one."""

    def move(seconds: float) -> None:
        monkeypatch.setattr(verification, "clock", lambda: time.time() + seconds)

    return move


@pytest.fixture
def app(make_app: AppFactory) -> Sanic[Any, Any]:
    return make_app(use_acl=True, use_blacklist=True, blacklist_class=InMemoryBlacklist)


async def answer(app: Sanic[Any, Any], raw: str, path: str = "/protected") -> tuple[int, Any]:
    _, response = await app.asgi_client.get(path, headers=bearer(raw))
    return response.status, response.json


def cache_info(app: Sanic[Any, Any]) -> Any:
    verifier = state_of(app).verifier
    assert verifier is not None
    return verifier.cache_info()


def count_decodes(app: Sanic[Any, Any], monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The raw tokens `app` decodes from now on, one entry per PyJWT decode."""
    keys = state_of(app).keys
    assert keys is not None
    decoder = keys.keys[0].decoder  # the signing key's: the tokens here are the app's own
    decode = decoder.decode_complete
    decoded: list[str] = []

    def counting(raw: str, *args: Any, **kwargs: Any) -> Any:
        decoded.append(raw)
        return decode(raw, *args, **kwargs)

    monkeypatch.setattr(decoder, "decode_complete", counting)
    return decoded


def with_payload(raw: str, **changes: Any) -> str:
    """`raw` with claims changed in its payload, and its signature left as it was."""
    head, payload, signature = raw.split(".")
    claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    forged = json.dumps({**claims, **changes}).encode()
    return ".".join([head, base64.urlsafe_b64encode(forged).rstrip(b"=").decode(), signature])


async def test_a_token_sent_again_is_not_decoded_again(
    app: Sanic[Any, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    decoded = count_decodes(app, monkeypatch)
    raw = JWT.create_access_token("alice")
    for _ in range(3):
        status, body = await answer(app, raw)
        assert (status, body["identity"]) == (200, "alice")
    assert decoded == [raw]
    assert (cache_info(app).hits, cache_info(app).currsize) == (2, 1)


async def test_the_hmac_secret_is_not_prepared_again_on_each_decode(
    make_app: AppFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    """PyJWT's HMAC key preparation is most of a decode: it ran once, when initialising."""
    app = make_app(verified_token_cache_size=0)
    raw = JWT.create_access_token("alice")
    prepared: list[object] = []
    prepare = HMACAlgorithm.prepare_key

    def spy(self: HMACAlgorithm, key: str | bytes) -> bytes:
        prepared.append(key)
        return prepare(self, key)

    monkeypatch.setattr(HMACAlgorithm, "prepare_key", spy)
    assert (await answer(app, raw))[0] == 200
    assert prepared == []


async def test_an_expired_token_is_refused_even_when_cached(
    app: Sanic[Any, Any], move_clock: Clock
) -> None:
    raw = JWT.create_access_token("alice", expires_delta=timedelta(seconds=5))
    assert (await answer(app, raw))[0] == 200
    move_clock(4)
    assert (await answer(app, raw))[0] == 200
    move_clock(6)
    assert await answer(app, raw) == (401, {"msg": "Token has expired."})
    assert cache_info(app).hits == 2


async def test_leeway_applies_to_cached_tokens(make_app: AppFactory, move_clock: Clock) -> None:
    app = make_app(leeway=timedelta(seconds=30))
    raw = JWT.create_access_token("alice", expires_delta=timedelta(seconds=5))
    assert (await answer(app, raw))[0] == 200
    move_clock(20)
    assert (await answer(app, raw))[0] == 200
    move_clock(40)
    assert (await answer(app, raw))[0] == 401


async def test_a_token_not_yet_valid_is_refused_until_it_is(
    make_app: AppFactory, move_clock: Clock
) -> None:
    app = make_app()
    raw = JWT.create_access_token("alice", nbf=time.time() + 60)
    assert (await answer(app, raw))[0] == 422
    move_clock(61)
    assert (await answer(app, raw))[0] == 200


async def test_a_revoked_token_is_refused_even_when_cached(app: Sanic[Any, Any]) -> None:
    raw = JWT.create_access_token("alice")
    assert (await answer(app, raw))[0] == 200
    _, response = await app.asgi_client.post("/logout", headers=bearer(raw))
    assert response.status == 200
    assert await answer(app, raw) == (401, {"msg": "Token has been revoked."})
    assert cache_info(app).hits >= 2


async def test_a_token_issued_before_revoke_all_is_refused_even_when_cached(
    app: Sanic[Any, Any],
) -> None:
    raw = JWT.create_access_token("alice")
    assert (await answer(app, raw))[0] == 200
    _, response = await app.asgi_client.post("/revoke-all/alice")
    assert response.status == 200
    assert await answer(app, raw) == (401, {"msg": "Token has been revoked."})
    assert (await answer(app, JWT.create_access_token("alice")))[0] == 200


async def test_a_cached_token_of_a_role_taken_away_is_refused(app: Sanic[Any, Any]) -> None:
    """A role change ends the tokens of the old role with revoke_all, cached ones too."""
    admin = JWT.create_access_token("alice", role="ADMIN")
    assert (await answer(app, admin, "/admin"))[0] == 200
    await app.asgi_client.post("/revoke-all/alice")  # alice is demoted
    assert await answer(app, admin, "/admin") == (401, {"msg": "Token has been revoked."})
    demoted = JWT.create_access_token("alice", role="USER")
    assert (await answer(app, demoted, "/admin"))[0] == 403
    assert (await answer(app, demoted))[0] == 200


async def test_the_cache_never_grows_past_its_bound(
    make_app: AppFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    app = make_app(verified_token_cache_size=3)
    tokens = [JWT.create_access_token(f"user-{number}") for number in range(5)]
    for raw in tokens:
        assert (await answer(app, raw))[0] == 200
        assert cache_info(app).currsize <= 3
    assert (cache_info(app).maxsize, cache_info(app).currsize) == (3, 3)
    decoded = count_decodes(app, monkeypatch)
    for raw in reversed(tokens):  # the last three are cached, the first two were dropped
        assert (await answer(app, raw))[0] == 200
    assert decoded == [tokens[1], tokens[0]]


async def test_a_tampered_copy_of_a_cached_token_is_refused(app: Sanic[Any, Any]) -> None:
    raw = JWT.create_access_token("alice", role="USER")
    assert (await answer(app, raw, "/admin"))[0] == 403
    for forged in (with_payload(raw, role="ADMIN"), with_payload(raw, sub="mallory")):
        for _ in range(2):  # a failure is not remembered: refused each time
            status, body = await answer(app, forged, "/admin")
            assert (status, body) == (422, {"msg": "Signature verification failed."})
    assert cache_info(app).currsize == 1


@pytest.mark.parametrize(("size", "decodes"), [(0, 3), (1, 1)])
async def test_size_zero_turns_the_cache_off(
    make_app: AppFactory, monkeypatch: pytest.MonkeyPatch, size: int, decodes: int
) -> None:
    app = make_app(verified_token_cache_size=size)
    decoded = count_decodes(app, monkeypatch)
    raw = JWT.create_access_token("alice")
    for _ in range(3):
        assert (await answer(app, raw))[0] == 200
    assert len(decoded) == decodes
    assert cache_info(app).currsize == min(size, 1)


async def test_apps_with_different_secrets_share_no_entries(make_app: AppFactory) -> None:
    first = make_app()
    raw = JWT.create_access_token("alice")  # signed for `first`, initialised last
    assert (await answer(first, raw))[0] == 200
    second = make_app(secret_key="another-secret-" + "y" * 50)
    assert await answer(second, raw) == (422, {"msg": "Signature verification failed."})
    assert (cache_info(first).currsize, cache_info(second).currsize) == (1, 0)


async def test_initialising_an_app_again_starts_an_empty_cache(make_app: AppFactory) -> None:
    app = make_app()
    raw = JWT.create_access_token("alice")
    assert (await answer(app, raw))[0] == 200
    with JWT.initialize(app) as manager:
        manager.config.secret_key = "a-new-secret-" + "z" * 50
    assert (await answer(app, raw))[0] == 422


async def test_what_a_view_changes_in_its_token_stays_in_that_request(
    make_app: AppFactory,
) -> None:
    app = make_app(private_claim_prefix="app")

    @app.get("/meddle")
    @jwt_required
    async def meddle(request: Request, token: Token) -> HTTPResponse:
        seen = {"uid": token.private_claims["uid"], "sub": token.raw_data["sub"]}
        token.private_claims["uid"] = 0
        token.raw_data["sub"] = "mallory"
        return json_response(seen)

    raw = JWT.create_access_token("alice", private_claims={"uid": 7})
    for _ in range(2):
        status, body = await answer(app, raw, "/meddle")
        assert (status, body) == (200, {"uid": 7, "sub": "alice"})
    assert Token(raw, state=state_of(app)).private_claims == {"uid": 7}


@pytest.mark.parametrize("size", [-1, True, 2.5, "10", None])
def test_the_cache_size_must_be_a_whole_number(make_app: AppFactory, size: object) -> None:
    with pytest.raises(ConfigurationConflictError, match="verified_token_cache_size"):
        make_app(verified_token_cache_size=size)


def test_the_cache_size_defaults_to_ten_thousand() -> None:
    assert Config().verified_token_cache_size == 10_000
