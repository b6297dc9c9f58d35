"""Account flows that are more than one query: logging in, refreshing, and changing a user.

Tokens say who their user is (role, name, admin flag), so each must never say more than
the user's row did. Two rules keep that true whatever runs concurrently:

- A token is dated from the moment just before the row it describes was read (not from
  when it was signed, which for a login is ~100 ms of password hashing later). A read
  sees every change committed before it started.
- A change to what tokens say (role, password, deletion) revokes, through `revoke_all`,
  every token of that user dated up to a moment *after* its commit. So a read that may
  have seen the row before the change yields a token dated before the cut-off (revoked),
  and a read after it sees the change. The cut-off is also taken once inside the
  transaction, so that an unreachable blacklist rolls the change back (its error reaches
  the caller) instead of leaving old tokens alive.

The row also records the cut-off (`tokens_valid_after`, set in the transaction and moved
past the commit as the blacklist's is) for `/refresh`, which reads it anyway: a change
made by the command line, which cannot reach a running server's in-memory blacklist,
still ends every earlier refresh token at once.
"""

import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from tortoise.transactions import in_transaction

from app.accounts.passwords import Passwords
from app.accounts.tokens import access_token, refresh_token, token_user_id
from app.db.models import Role, User, username_key
from app.db.storage import delete_or_404, get_or_404, save_or_404, unique_name
from app.exceptions import (
    AccountChanged,
    InvalidCredentials,
    LastAdmin,
    NameTaken,
    NotFound,
    TokensEnded,
    UserGone,
)
from app.schemas import Credentials, Login
from sanic_jwt_extended import JWT, TokenManager
from sanic_jwt_extended.tokens import Token

# What ends every token of a user in the blacklist: `JWT`, the blacklist of the app serving
# the request; a `TokenManager` of the command line's own; or none (the row alone).
Revoker = type[JWT] | TokenManager | None


async def register(passwords: Passwords, credentials: Credentials, role: Role = Role.USER) -> User:
    """A new account (a USER unless told); NameTaken when the name is, in any letter case."""
    password_hash = await passwords.hash(credentials.password)
    with unique_name("That username is taken."):
        return await User.create(
            username=credentials.username,
            username_key=username_key(credentials.username),
            password_hash=password_hash,
            role=role,
        )


async def log_in(passwords: Passwords, credentials: Login) -> tuple[str, str]:
    """A fresh access token and a refresh token; InvalidCredentials for any wrong name or
    password.

    Names match in any letter case, as they are unique that way.
    """
    read_at = time.time()
    user = await User.get_or_none(username_key=username_key(credentials.username))
    if not await passwords.verify(user.password_hash if user else None, credentials.password):
        raise InvalidCredentials
    assert user is not None  # verify() never accepts a missing hash
    if passwords.needs_rehash(user.password_hash):
        # Only over the hash that was verified: a password set meanwhile must stay.
        await User.filter(id=user.id, password_hash=user.password_hash).update(
            password_hash=await passwords.hash(credentials.password)
        )
    return (
        access_token(user, fresh=True, read_at=read_at),
        refresh_token(user, read_at=read_at),
    )


async def refresh(token: Token) -> str:
    """A new, non-fresh access token with the role and claims the row has now."""
    user_id = token_user_id(token)
    read_at = time.time()
    user = await User.get_or_none(id=user_id)
    if user is None:
        raise UserGone
    if token.issued_at <= user.tokens_valid_after:
        raise TokensEnded
    return access_token(user, fresh=False, read_at=read_at)


async def change_role(
    user_id: int, role: Role, *, password_hash: str | None = None, revoker: Revoker = JWT
) -> User:
    """Set a user's role, and their password when given, ending every earlier token.

    `revoker=None` (a command line without a shared blacklist) ends them through the row
    only: refresh tokens at once, access tokens within their lifetime.
    """
    async with _ending_tokens_of(user_id, revoker) as cut_off:
        user = await get_or_404(User, user_id, "User")
        if role != Role.ADMIN:
            await _keep_an_admin(user)
        user.role, user.tokens_valid_after = role, cut_off
        changed = ["role", "tokens_valid_after"]
        if password_hash is not None:
            user.password_hash = password_hash
            changed.append("password_hash")
        await save_or_404(user, "User", *changed)
    return user


async def delete_user(user_id: int) -> None:
    """Delete a user, ending their tokens."""
    async with _ending_tokens_of(user_id, JWT):
        user = await get_or_404(User, user_id, "User")
        await _keep_an_admin(user)
        await delete_or_404(User, user_id, "User")


async def make_admin(passwords: Passwords, credentials: Credentials, *, revoker: Revoker) -> bool:
    """Create the user as an admin, or promote them and set this password; True if new.

    Setting the password on promotion means the operator always ends up knowing it, and
    it ends the user's earlier sessions: refresh tokens at once (through the row), access
    tokens at once with a `revoker` (the blacklist is shared, as Redis is), else within
    their lifetime. AccountChanged when another request created or deleted the account
    between the look-up and the write.
    """
    existing = await User.get_or_none(username_key=username_key(credentials.username))
    try:
        if existing is None:
            await register(passwords, credentials, role=Role.ADMIN)
            return True
        await change_role(
            existing.id,
            Role.ADMIN,
            password_hash=await passwords.hash(credentials.password),
            revoker=revoker,
        )
    except (NameTaken, NotFound) as error:
        raise AccountChanged(str(error)) from error
    return False


@asynccontextmanager
async def _ending_tokens_of(user_id: int, revoker: Revoker) -> AsyncIterator[float]:
    """A transaction that changes what tokens of `user_id` say; yields the row's cut-off.

    See the module docstring for why the blacklist's cut-off is taken twice.
    """
    async with in_transaction():
        yield time.time()
        if revoker is not None:
            await revoker.revoke_all(str(user_id))
    # A read of the row between the first cut-off and the commit saw the old row (on
    # PostgreSQL); so the row's cut-off, like the blacklist's, moves past the commit.
    await User.filter(id=user_id).update(tokens_valid_after=time.time())
    if revoker is not None:
        await revoker.revoke_all(str(user_id))


async def _keep_an_admin(user: User) -> None:
    """LastAdmin when `user` is the only admin: the service must never be left without one.

    The admins' rows are locked (on PostgreSQL) so that two admins demoting each other
    at once cannot both pass; SQLite runs one write transaction at a time anyway.
    """
    if user.role != Role.ADMIN:
        return
    admins = await User.filter(role=Role.ADMIN).select_for_update().only("id")
    if [admin.id for admin in admins] == [user.id]:
        raise LastAdmin
