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

A user changing their own password keeps the session they do it from: their other
sessions end by family instead (`change_password`). A login that verified the old
password and records its session after the change listed the sessions finds the hash
changed once it has, and ends its session itself (`log_in`).

Every cut-off is recorded in the database by the token manager's journal, in the same
transaction as the change: the blacklist is the one place a token is checked, and the
journal refills it when the service starts, or when another process (the command line)
made the change.
"""

import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from tortoise.transactions import in_transaction

from app.accounts import sessions
from app.accounts.passwords import Passwords
from app.accounts.sessions import Client
from app.accounts.tokens import access_token, next_refresh_token, refresh_token, token_user_id
from app.db.models import Role, SessionEnd, User, username_key
from app.db.storage import delete_or_404, get_or_404, save_or_404, unique_name, user_named
from app.exceptions import (
    AccountChanged,
    InvalidCredentials,
    LastAdmin,
    NameTaken,
    NotFound,
    UserGone,
)
from app.schemas import Credentials, Login, PasswordChange
from sanic_jwt_extended import TokenManager
from sanic_jwt_extended.exceptions import RefreshTokenReusedError
from sanic_jwt_extended.tokens import Token


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


async def log_in(
    passwords: Passwords, tokens: TokenManager, credentials: Login, client: Client
) -> tuple[str, str]:
    """A new session: its fresh access token and its refresh token; InvalidCredentials
    for any wrong name or password.

    Names match in any letter case, as they are unique that way.
    """
    read_at = time.time()
    user = await user_named(credentials.username)
    if not await passwords.verify(user.password_hash if user else None, credentials.password):
        raise InvalidCredentials
    assert user is not None  # verify() never accepts a missing hash
    verified_hash = await _upgraded_hash(passwords, user, credentials.password)
    family = tokens.new_family()
    await sessions.start(family, user.id, client)
    if not await User.filter(id=user.id, password_hash=verified_hash).exists():
        # The password changed after it was verified, and the change's ending of the
        # other sessions ran before this one was recorded: it must not outlive it.
        await sessions.end_if_open(tokens, user.id, family, SessionEnd.ACCOUNT_CHANGED)
        raise InvalidCredentials
    access = access_token(tokens, user, fresh=True, read_at=read_at, family=family)
    if await tokens.is_revoked(tokens.decode(access)):
        # A change to the user committed after the read, and its ending of the user's
        # sessions ran before this one was recorded: the tokens are refused already, so
        # the session must not be listed open either (see `_ending_tokens_of`).
        await sessions.mark_ended(family, SessionEnd.ACCOUNT_CHANGED)
    return access, refresh_token(tokens, user, read_at=read_at, family=family)


async def _upgraded_hash(passwords: Passwords, user: User, password: str) -> str:
    """The hash `password` was verified against, replaced by one at the current cost when
    it is older; the user's hash as it is now, if this login wrote it."""
    if not passwords.needs_rehash(user.password_hash):
        return user.password_hash
    upgraded = await passwords.hash(password)
    # Only over the hash that was verified: a password set meanwhile must stay.
    replaced = await User.filter(id=user.id, password_hash=user.password_hash).update(
        password_hash=upgraded
    )
    return upgraded if replaced else user.password_hash


async def refresh(tokens: TokenManager, token: Token, client: Client) -> tuple[str, str | None]:
    """A new, non-fresh access token with the role and claims the row has now, and with
    rotation on the next refresh token (None with it off); the session moves on.

    A refresh token from before sessions (no family) starts one. Reuse of a spent token
    ends its session (RefreshTokenReusedError, raised on).
    """
    user_id = token_user_id(token)
    read_at = time.time()
    user = await User.get_or_none(id=user_id)
    if user is None:
        raise UserGone
    family = token.family
    next_refresh = None
    if tokens.config.refresh_token_rotation:
        try:
            next_refresh = await next_refresh_token(tokens, token, user, read_at=read_at)
        except RefreshTokenReusedError:
            if family is not None:
                await sessions.mark_ended(family, SessionEnd.REUSE_DETECTED)
            raise
        family = tokens.decode(next_refresh).family
    if token.family is None and family is not None:
        await sessions.start(family, user.id, client)
    elif family is not None and not await sessions.touch(family, user.id):
        # It ended (a role change, say) after the guard checked the token, perhaps before
        # the row was read: the pair signed here must not outlive it.
        await tokens.end_family(family)
    return access_token(tokens, user, fresh=False, read_at=read_at, family=family), next_refresh


async def change_role(
    tokens: TokenManager, user_id: int, role: Role, *, password_hash: str | None = None
) -> User:
    """Set a user's role, and their password when given, ending every earlier token."""
    async with _ending_tokens_of(tokens, user_id, SessionEnd.ACCOUNT_CHANGED):
        user = await get_or_404(User, user_id, "User")
        if role != Role.ADMIN:
            await _keep_an_admin(user)
        user.role = role
        changed = ["role"]
        if password_hash is not None:
            user.password_hash = password_hash
            changed.append("password_hash")
        await save_or_404(user, "User", *changed)
    return user


async def change_password(
    passwords: Passwords, tokens: TokenManager, token: Token, change: PasswordChange
) -> None:
    """Set the password of the token's user once their current one is checked
    (InvalidCredentials if wrong), ending every other session of theirs at once; the
    token's own session goes on, its tokens still working.

    The other sessions end by family, not by a cut-off (`revoke_all`), which would end
    the caller's too. A token from before sessions has no session to keep: then every
    token of the user ends, as a change through any other path does.
    """
    user = await User.get_or_none(id=token_user_id(token))
    if user is None:
        raise UserGone
    if not await passwords.verify(user.password_hash, change.current_password):
        raise InvalidCredentials
    new_hash = await passwords.hash(change.new_password)
    if token.family is None:
        async with _ending_tokens_of(tokens, user.id, SessionEnd.ACCOUNT_CHANGED):
            await _replace_password_hash(user, new_hash)
        return
    async with in_transaction():
        await _replace_password_hash(user, new_hash)
        await sessions.end_all_but(tokens, user.id, token.family, SessionEnd.ACCOUNT_CHANGED)
    # A login that verified the old password may have started its session after the
    # sessions were listed and before the commit (PostgreSQL): they are listed again.
    await sessions.end_all_but(tokens, user.id, token.family, SessionEnd.ACCOUNT_CHANGED)


async def _replace_password_hash(user: User, new_hash: str) -> None:
    """Replace the hash that was verified, and only it: AccountChanged when another change
    of the password (or the user's deletion) came first."""
    replaced = await User.filter(id=user.id, password_hash=user.password_hash).update(
        password_hash=new_hash
    )
    if not replaced:
        raise AccountChanged("The account changed meanwhile: try again.")


async def log_out_everywhere(tokens: TokenManager, user_id: int) -> None:
    """End every session of the user, the caller's included: every token they hold now
    is refused, a login that is under way included (its tokens are dated before the
    cut-off), as any change of the user ends them."""
    async with _ending_tokens_of(tokens, user_id, SessionEnd.LOGOUT):
        pass  # nothing of the user changes: only their sessions end


async def delete_user(tokens: TokenManager, user_id: int) -> None:
    """Delete a user, ending their tokens."""
    async with _ending_tokens_of(tokens, user_id, SessionEnd.USER_DELETED):
        user = await get_or_404(User, user_id, "User")
        await _keep_an_admin(user)
        await delete_or_404(User, user_id, "User")


async def make_admin(passwords: Passwords, tokens: TokenManager, credentials: Credentials) -> bool:
    """Create the user as an admin, or promote them and set this password; True if new.

    Setting the password on promotion means the operator always ends up knowing it, and
    it ends the user's earlier sessions. AccountChanged when another request created or
    deleted the account between the look-up and the write.
    """
    existing = await user_named(credentials.username)
    try:
        if existing is None:
            await register(passwords, credentials, role=Role.ADMIN)
            return True
        await change_role(
            tokens,
            existing.id,
            Role.ADMIN,
            password_hash=await passwords.hash(credentials.password),
        )
    except (NameTaken, NotFound) as error:
        raise AccountChanged(str(error)) from error
    return False


@asynccontextmanager
async def _ending_tokens_of(
    tokens: TokenManager, user_id: int, reason: SessionEnd
) -> AsyncIterator[None]:
    """A transaction that changes what tokens of `user_id` say, ending those before it,
    and so every session of the user.

    See the module docstring for why the cut-off is taken twice. The sessions are marked
    ended twice too: a login that read the row before the change may record its session
    after the first marking. Whatever it records before the second is marked by it; what
    it records after, it finds refused by the second cut-off, and marks itself (`log_in`).
    """
    async with in_transaction():
        yield
        await sessions.mark_all_ended(user_id, reason)
        await tokens.revoke_all(str(user_id))
    # A read of the row between the first cut-off and the commit saw the old row (on
    # PostgreSQL); so the cut-off moves past the commit.
    await tokens.revoke_all(str(user_id))
    await sessions.mark_all_ended(user_id, reason)


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
