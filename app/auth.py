"""Authentication: wiring the JWT extension, issuing tokens, and the admin guard."""

from collections.abc import Awaitable, Callable
from datetime import timedelta
from functools import wraps
from typing import Any

from sanic import HTTPResponse, Request, Sanic
from sanic.exceptions import Forbidden
from sanic.response import json

from app.models import Role, User
from app.settings import Settings
from sanic_jwt_extended import JWT, jwt_required
from sanic_jwt_extended.blacklist import BlacklistABC, InMemoryBlacklist, RedisBlacklist
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


def access_token(user: User, *, fresh: bool) -> str:
    """An access token for `user`; fresh only straight from a login."""
    return JWT.create_access_token(
        str(user.id), role=user.role.value, fresh=fresh, private_claims=_claims(user)
    )


def refresh_token(user: User) -> str:
    """A refresh token for `user`, carrying the same role and claims as its access token."""
    return JWT.create_refresh_token(
        str(user.id), role=user.role.value, private_claims=_claims(user)
    )


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

        guard: Callable[[View], View] = jwt_required(allow=[Role.ADMIN.value], fresh_required=fresh)
        return guard(check_claim)

    return decorate
