"""This service's tokens: the extension's options for them, issuing them, reading their claims.

The options are set on a `Config`, so that an app (inside `JWT.initialize`, see
app.web.guards) and the command line (inside `TokenManager.configure`) sign, verify and
revoke alike.
"""

from datetime import timedelta
from typing import Any

from pydantic import ValidationError

from app.db.models import MAX_ID, Role, User
from app.exceptions import ForeignToken
from app.schemas import TokenClaims
from app.settings import Settings
from sanic_jwt_extended import JWT
from sanic_jwt_extended.blacklist import InMemoryBlacklist, RedisBlacklist
from sanic_jwt_extended.config import Config
from sanic_jwt_extended.tokens import Token

NOT_A_USER_ID = "The token's subject is not a user id of this service."


def configure_jwt(config: Config, settings: Settings) -> None:
    """Set the extension's options from `settings`: roles on, and a blacklist always
    (Redis when `redis_url` is set, shared by every worker; else in memory)."""
    config.secret_key = settings.secret
    config.algorithm = settings.algorithm
    config.access_token_expires = timedelta(minutes=settings.access_token_minutes)
    config.refresh_token_expires = timedelta(days=settings.refresh_token_days)
    config.private_claim_prefix = settings.private_claim_prefix
    config.use_acl = True
    config.use_blacklist = True
    if settings.redis_url:
        config.blacklist_class = RedisBlacklist
        config.blacklist_init_kwargs = {"url": settings.redis_url}
    else:
        config.blacklist_class = InMemoryBlacklist


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
    """The user id a token is for; ForeignToken for a token this service did not make.

    Correctly signed tokens with another layout exist in real life (an older claim
    layout, another service sharing the key): they are refused, never a crash.
    """
    if not token.identity.isascii() or not token.identity.isdecimal():
        raise ForeignToken(NOT_A_USER_ID)
    user_id = int(token.identity)
    if not 1 <= user_id <= MAX_ID:
        raise ForeignToken(NOT_A_USER_ID)
    return user_id


def token_claims(token: Token) -> TokenClaims:
    """The private claims of one of this service's tokens; ForeignToken for another layout."""
    try:
        return TokenClaims.model_validate(token.private_claims)
    except ValidationError:
        raise ForeignToken("The token lacks this service's claims.") from None
