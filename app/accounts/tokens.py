"""This service's tokens: the extension's options for them, issuing them, reading their claims.

The options are set on a `Config`, so that an app (inside `JWT.initialize`, see
app.web.guards) and the command line (inside `TokenManager.configure`) sign, verify and
revoke alike.
"""

from datetime import timedelta
from typing import Any

from pydantic import ValidationError
from redis.asyncio import Redis

from app.accounts.keys import configure_keys
from app.db.models import MAX_ID, Role, User
from app.exceptions import ForeignToken
from app.schemas import TokenClaims
from app.settings import Settings
from sanic_jwt_extended import TokenManager
from sanic_jwt_extended.blacklist import InMemoryBlacklist, RedisBlacklist, RevocationJournal
from sanic_jwt_extended.config import Config
from sanic_jwt_extended.tokens import Token

NOT_A_USER_ID = "The token's subject is not a user id of this service."


def configure_jwt(
    config: Config, settings: Settings, *, journal: RevocationJournal, redis: Redis | None
) -> None:
    """Set the extension's options from `settings`: roles on, and a blacklist always,
    filled from and written through `journal` (so no restart forgets a revocation): in
    `redis` (the process's client, for `redis_url`), shared by every worker; else in
    memory."""
    configure_keys(config, settings)
    config.access_token_expires = timedelta(minutes=settings.access_token_minutes)
    config.refresh_token_expires = timedelta(days=settings.refresh_token_days)
    config.private_claim_prefix = settings.private_claim_prefix
    config.use_acl = True
    # 401 for every unusable token, 403 with insufficient_scope: what OAuth clients expect.
    config.rfc6750_errors = True
    config.use_blacklist = True
    config.revocation_journal = journal
    config.refresh_token_rotation = settings.refresh_rotation
    config.refresh_reuse_grace = timedelta(seconds=settings.refresh_reuse_grace_seconds)
    if redis is not None:
        config.blacklist_class = RedisBlacklist
        config.blacklist_init_kwargs = {"client": redis}
    else:
        config.blacklist_class = InMemoryBlacklist


def token_manager(
    settings: Settings, *, journal: RevocationJournal, redis: Redis | None
) -> TokenManager:
    """A token manager configured as the server's, without an app: for the command line
    and the bench kit, which serve nothing. `open()` it before revoking."""
    with TokenManager.configure() as tokens:
        configure_jwt(tokens.config, settings, journal=journal, redis=redis)
    return tokens


def _claims(user: User) -> dict[str, Any]:
    """What tokens say about their user, besides `sub` and the role."""
    return {"uid": user.id, "username": user.username, "is_admin": user.role == Role.ADMIN}


def access_token(
    tokens: TokenManager, user: User, *, fresh: bool, read_at: float, family: str | None
) -> str:
    """An access token of session `family` for `user` as read at `read_at`; fresh only
    straight from a login.

    The token is dated from the read, not from now: a role change or deletion after the
    read revokes every token dated before it, so no token outlives what it says.
    """
    return tokens.create_access_token(
        str(user.id),
        role=user.role.value,
        fresh=fresh,
        private_claims=_claims(user),
        issued_at=read_at,
        family=family,
    )


def refresh_token(tokens: TokenManager, user: User, *, read_at: float, family: str) -> str:
    """A refresh token of session `family`, with the same role and claims as its access
    token."""
    return tokens.create_refresh_token(
        str(user.id),
        role=user.role.value,
        private_claims=_claims(user),
        issued_at=read_at,
        family=family,
    )


async def next_refresh_token(
    tokens: TokenManager, spent: Token, user: User, *, read_at: float
) -> str:
    """Spend refresh token `spent` (rotation) and return the next one of its session,
    saying what `user`'s row says now; RefreshTokenReusedError for a copy used again."""
    return await tokens.rotate(
        spent, user.role.value, private_claims=_claims(user), issued_at=read_at
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
