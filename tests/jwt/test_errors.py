"""The error table: what each refusal answers, its WWW-Authenticate header, and what a
replaced handler is told."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from sanic import Request, Sanic
from sanic.response import HTTPResponse, json

from sanic_jwt_extended import JWT
from sanic_jwt_extended.blacklist import InMemoryBlacklist
from sanic_jwt_extended.config import Config
from sanic_jwt_extended.exceptions import TokenRefusedError
from sanic_jwt_extended.handlers import ERRORS, Challenge, ErrorKind, Handlers, bearer_challenge
from sanic_jwt_extended.tokens import Token

from .helpers import SECRET, AppFactory, add_views, bearer, new_app

INVALID_TOKEN = 'Bearer error="invalid_token", error_description="{}"'


def cookie(raw: str) -> dict[str, str]:
    return {"Cookie": f"access_token_cookie={raw}"}


async def answer(app: Sanic[Any, Any], method: str, path: str, headers: dict[str, str]) -> Any:
    _, response = await getattr(app.asgi_client, method)(path, headers=headers)
    return response


async def test_no_token_is_challenged_with_the_bare_scheme(make_app: AppFactory) -> None:
    response = await answer(make_app(), "get", "/protected", {})
    assert response.status == 401
    assert response.headers["WWW-Authenticate"] == "Bearer"


async def test_an_expired_token_is_an_invalid_token(make_app: AppFactory) -> None:
    app = make_app()
    raw = JWT.create_access_token("alice", expires_delta=timedelta(seconds=-5))
    response = await answer(app, "get", "/protected", bearer(raw))
    assert (response.status, response.json) == (401, {"msg": "Token has expired."})
    assert response.headers["WWW-Authenticate"] == INVALID_TOKEN.format("Token has expired.")


async def test_a_revoked_token_is_an_invalid_token(make_app: AppFactory) -> None:
    app = make_app(use_blacklist=True, blacklist_class=InMemoryBlacklist)
    raw = JWT.create_access_token("alice")
    await JWT.revoke(Token(raw))
    response = await answer(app, "get", "/protected", bearer(raw))
    assert (response.status, response.json) == (401, {"msg": "Token has been revoked."})
    assert response.headers["WWW-Authenticate"] == INVALID_TOKEN.format("Token has been revoked.")


async def test_a_token_that_is_not_fresh_is_an_invalid_token_here(make_app: AppFactory) -> None:
    app = make_app()
    response = await answer(app, "post", "/fresh", bearer(JWT.create_access_token("alice")))
    assert (response.status, response.json) == (401, {"msg": "Fresh token required."})
    assert response.headers["WWW-Authenticate"] == INVALID_TOKEN.format("Fresh token required.")


async def test_a_csrf_failure_names_the_scheme_only(make_app: AppFactory) -> None:
    app = make_app(token_location=("cookies",))
    response = await answer(app, "post", "/protected", cookie(JWT.create_access_token("alice")))
    assert response.status == 401
    assert response.headers["WWW-Authenticate"] == "Bearer"


@pytest.mark.parametrize(
    ("path", "headers", "status"),
    [
        ("/protected", {"Authorization": "Basic x"}, 422),
        ("/protected", bearer("not-a-token"), 422),
        ("/admin", None, 403),
    ],
    ids=["bad header", "bad token", "role refused"],
)
async def test_answers_other_than_401_carry_no_challenge(
    make_app: AppFactory, path: str, headers: dict[str, str] | None, status: int
) -> None:
    app = make_app(use_acl=True)
    response = await answer(app, "get", path, headers or bearer(JWT.create_access_token("a")))
    assert response.status == status
    assert "WWW-Authenticate" not in response.headers
    assert set(response.json) == {"msg"}


@pytest.mark.parametrize(
    ("method", "path", "headers", "status", "challenge"),
    [
        ("get", "/protected", {"Authorization": "Basic x"}, 401, "invalid_request"),
        ("get", "/protected", bearer("not-a-token"), 401, "invalid_token"),
        ("get", "/protected", bearer(SECRET), 401, "invalid_token"),
        ("get", "/admin", None, 403, "insufficient_scope"),
    ],
    ids=["bad header", "not a JWT", "not base64", "role refused"],
)
async def test_with_rfc6750_errors_every_unusable_token_is_a_401_and_a_role_a_403(
    make_app: AppFactory,
    method: str,
    path: str,
    headers: dict[str, str] | None,
    status: int,
    challenge: str,
) -> None:
    app = make_app(use_acl=True, rfc6750_errors=True)
    response = await answer(app, method, path, headers or bearer(JWT.create_access_token("a")))
    assert response.status == status
    description = response.json["msg"].replace('"', "'")
    assert response.headers["WWW-Authenticate"] == (
        f'Bearer error="{challenge}", error_description="{description}"'
    )


async def test_with_rfc6750_errors_a_wrong_type_is_an_invalid_token(make_app: AppFactory) -> None:
    app = make_app(rfc6750_errors=True)
    raw = JWT.create_refresh_token("alice")
    response = await answer(app, "get", "/protected", bearer(raw))
    assert response.status == 401
    assert response.headers["WWW-Authenticate"].startswith('Bearer error="invalid_token"')
    # The statuses 1.0 gives 401 stay as they were, challenge and all.
    expired = JWT.create_access_token("alice", expires_delta=timedelta(seconds=-5))
    response = await answer(app, "get", "/protected", bearer(expired))
    assert response.headers["WWW-Authenticate"] == INVALID_TOKEN.format("Token has expired.")


def test_a_description_holds_only_what_rfc6750_allows() -> None:
    [header] = bearer_challenge("invalid_token", 'Bad "x" \\ é\n').values()
    assert header == 'Bearer error="invalid_token", error_description="Bad \'x\'  "'


async def test_a_replaced_handler_answers_exactly_what_it_returns(make_app: AppFactory) -> None:
    app = make_app()

    def plain(request: Request, exception: Exception) -> HTTPResponse:
        return json({"msg": "Log in first."}, status=401)

    with JWT.initialize(app) as manager:
        manager.config.secret_key = SECRET
        manager.handler.no_authorization = plain
    response = await answer(app, "get", "/protected", {})
    assert (response.status, response.json) == (401, {"msg": "Log in first."})
    assert "WWW-Authenticate" not in response.headers


# The refusals raised after a token verified: handler name, how to provoke it.
REFUSALS: dict[str, tuple[str, str, Callable[[str], dict[str, str]]]] = {
    "wrong_token": ("post", "/refresh", lambda raw: {"X-Refresh-Token": f"Bearer {raw}"}),
    "revoked_token": ("get", "/protected", bearer),
    "access_denied": ("get", "/admin", bearer),
    "fresh_token_required": ("post", "/fresh", bearer),
    "csrf_error": ("post", "/protected", cookie),
}


def app_telling_who_was_refused() -> Sanic[Any, Any]:
    """An app whose refusal handlers answer with the identity of the refused token."""

    def who(request: Request, exception: Exception) -> HTTPResponse:
        assert isinstance(exception, TokenRefusedError) and isinstance(exception.token, Token)
        return json({"refused": exception.token.identity, "jti": exception.token.jti.hex})

    app = new_app()
    with JWT.initialize(app) as manager:
        manager.config.secret_key = SECRET
        manager.config.use_acl = True
        manager.config.use_blacklist = True
        manager.config.blacklist_class = InMemoryBlacklist
        manager.config.token_location = ("header", "cookies")
        for name in REFUSALS:
            setattr(manager.handler, name, who)
    add_views(app)
    return app


@pytest.mark.parametrize("name", REFUSALS)
async def test_a_replaced_handler_sees_the_token_that_was_refused(name: str) -> None:
    app = app_telling_who_was_refused()
    raw = JWT.create_access_token("alice", role="USER")
    if name == "revoked_token":
        await JWT.revoke(Token(raw))
    method, path, headers = REFUSALS[name]
    response = await answer(app, method, path, headers(raw))
    assert response.json == {"refused": "alice", "jti": Token(raw).jti.hex}


def test_refusals_raised_by_hand_carry_no_token() -> None:
    assert TokenRefusedError("refused").token is None


def test_the_handlers_are_the_rows_of_the_table() -> None:
    handlers = Handlers(Config())
    for error in ERRORS:
        assert callable(getattr(handlers, error.name))
    with pytest.raises(AttributeError, match="no_authorisation"):
        handlers.no_authorisation = print  # a misspelt name fails loudly
    with pytest.raises(AttributeError, match="no_authorisation"):
        _ = handlers.no_authorisation


def test_every_401_of_the_table_has_a_challenge_and_no_other_status_does() -> None:
    with pytest.raises(ValueError, match="401"):
        ErrorKind("unchallenged", Exception, 401)
    with pytest.raises(ValueError, match="401"):
        ErrorKind("challenged", Exception, 403, challenge=Challenge.BEARER)
    with pytest.raises(ValueError, match="ASCII"):
        ErrorKind("quoted", Exception, 401, 'Say "no".', Challenge.INVALID_TOKEN)
