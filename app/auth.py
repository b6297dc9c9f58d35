"""Authentication: wiring the JWT extension, issuing tokens, and the guards of the views.

The views take their guards from here rather than from the extension: these are the
extension's, plus a note of the verified token's user for the access log (app.logs).
"""

from collections.abc import Awaitable, Callable
from datetime import timedelta
from functools import wraps
from typing import Any, overload

from pydantic import ValidationError
from sanic import HTTPResponse, Request, Sanic
from sanic.exceptions import Forbidden
from sanic.response import json

import sanic_jwt_extended
from app.logs import note_user
from app.models import Role, User
from app.schemas import MAX_ID, TokenClaims
from app.settings import Settings
from sanic_jwt_extended import JWT
from sanic_jwt_extended.blacklist import BlacklistABC, InMemoryBlacklist, RedisBlacklist
from sanic_jwt_extended.exceptions import JWTDecodeError
from sanic_jwt_extended.tokens import Token

ADMIN_REQUIRED = "Admin privilege required."

View = Callable[..., Awaitable[HTTPResponse]]


def configure_jwt(app: Sanic[Any, Any], settings: Settings) -> BlacklistABC:
    """Initialise the extension for `app`; return its blacklist (for the health check)."""
    with JWT.initialize(app) as manager:
        manager.config.secret_key = settings.secret
        manager.config.algorithm = settings.algorithm
        manager.config.access_token_expires = timedelta(minutes=settings.access_token_minutes)
        manager.config.refresh_token_expires = timedelta(days=settings.refresh_token_days)
        manager.config.private_claim_prefix = settings.private_claim_prefix
        manager.config.use_acl = True
        manager.config.use_blacklist = True
        if settings.redis_url:
            manager.config.blacklist_class = RedisBlacklist
            manager.config.blacklist_init_kwargs = {"url": settings.redis_url}
        else:
            manager.config.blacklist_class = InMemoryBlacklist
        manager.handler.access_denied = _admin_required
    assert manager.blacklist is not None  # use_blacklist is on
    return manager.blacklist


def _admin_required(request: Request, exception: Exception) -> HTTPResponse:
    """The one role check in this service is for admins, so say so."""
    return json({"msg": ADMIN_REQUIRED}, status=403)


def _claims(user: User) -> dict[str, Any]:
    """What tokens say about their user, besides `sub` and the role."""
    return {"uid": user.id, "username": user.username, "is_admin": user.role == Role.ADMIN}


def access_token(user: User, *, fresh: bool, read_at: float) -> str:
    """An access token for `user` as read at `read_at`; fresh only straight from a login.

    The token is dated from the read, not from now: a role change or deletion after the
    read revokes every token dated before it, so no token outlives what it says.
    """
    return JWT.create_access_token(
        str(user.id),
        role=user.role.value,
        fresh=fresh,
        private_claims=_claims(user),
        issued_at=read_at,
    )


def refresh_token(user: User, *, read_at: float) -> str:
    """A refresh token for `user`, carrying the same role and claims as its access token."""
    return JWT.create_refresh_token(
        str(user.id), role=user.role.value, private_claims=_claims(user), issued_at=read_at
    )


def token_user_id(token: Token) -> int:
    """The user id a token is for, or a 422 for a token this service did not make.

    Correctly signed tokens with another layout exist in real life (an older claim
    layout, another service sharing the key): they are refused, never a 500.
    """
    if not token.identity.isascii() or not token.identity.isdecimal():
        raise JWTDecodeError("The token's subject is not a user id of this service")
    user_id = int(token.identity)
    if not 1 <= user_id <= MAX_ID:
        raise JWTDecodeError("The token's subject is not a user id of this service")
    return user_id


def token_claims(token: Token) -> TokenClaims:
    """The private claims of one of this service's tokens, or a 422 for another layout."""
    try:
        return TokenClaims.model_validate(token.private_claims)
    except ValidationError:
        raise JWTDecodeError("The token lacks this service's claims") from None


def admin_required(*, fresh: bool = False) -> Callable[[View], View]:
    """Require an admin: role ADMIN in the ACL claim and the private claim `is_admin` true.

    The extension checks the role (403 through the `access_denied` handler); the claim is
    checked here, with the same answer, so that neither alone opens an admin route.
    """

    def decorate(view: View) -> View:
        @wraps(view)
        async def check_claim(
            request: Request, *args: Any, token: Token, **kwargs: Any
        ) -> HTTPResponse:
            if token.private_claims.get("is_admin") is not True:
                raise Forbidden(ADMIN_REQUIRED)
            return await view(request, *args, token=token, **kwargs)

        guard: Callable[[View], View] = sanic_jwt_extended.jwt_required(
            allow=[Role.ADMIN.value], fresh_required=fresh
        )
        return guard(_noting_user(check_claim))

    return decorate


@overload
def jwt_required(view: View) -> View: ...
@overload
def jwt_required(*, fresh_required: bool = False) -> Callable[[View], View]: ...
def jwt_required(
    view: View | None = None, *, fresh_required: bool = False
) -> View | Callable[[View], View]:
    """The extension's `jwt_required`, bare or called, noting the token's user."""

    def decorate(view: View) -> View:
        guard: Callable[[View], View] = sanic_jwt_extended.jwt_required(
            fresh_required=fresh_required
        )
        return guard(_noting_user(view))

    return decorate if view is None else decorate(view)


def refresh_jwt_required(view: View) -> View:
    """The extension's `refresh_jwt_required`, noting the token's user."""
    protected: View = sanic_jwt_extended.refresh_jwt_required(_noting_user(view))
    return protected


def _noting_user(view: View) -> View:
    """`view`, run once the extension let the token in, after noting whose it is.

    The extension's guard stays the outermost wrapper, so the route's handler is still
    the function it protects (and documents).
    """

    @wraps(view)
    async def note_then_serve(
        request: Request, *args: Any, token: Token | None, **kwargs: Any
    ) -> HTTPResponse:
        if token is not None:
            note_user(request, token.identity)
        return await view(request, *args, token=token, **kwargs)

    return note_then_serve
