"""Sessions: each login starts one, each refresh moves it on, and it ends on demand.

A session is a token family: its id is in every access and refresh token it hands out,
so ending it refuses them all at once, on every worker, through the token manager
(`end_family`). Its row says who, from where, since when, and when and why it ended.
The row and the family end in one transaction: a blacklist that cannot be written rolls
the row back (503) rather than showing ended a session whose tokens still work.
"""

from dataclasses import dataclass

from tortoise import timezone
from tortoise.queryset import QuerySet
from tortoise.transactions import in_transaction

from app.db.models import Session, SessionEnd
from app.db.models.session import SESSION_ID_LENGTH
from app.exceptions import NotFound
from sanic_jwt_extended import TokenManager

# Enough for any real browser's User-Agent; longer ones are cut, never refused.
USER_AGENT_LENGTH = 256
ADDRESS_LENGTH = 64


@dataclass(frozen=True)
class Client:
    """Who is logging in, as the request says: shown to the user in their sessions."""

    user_agent: str
    address: str


async def start(family: str, user_id: int, client: Client) -> None:
    """Record the session of a login, whose tokens carry `family`."""
    await Session.create(
        id=family,
        user_id=user_id,
        last_used_at=timezone.now(),
        user_agent=client.user_agent[:USER_AGENT_LENGTH],
        address=client.address[:ADDRESS_LENGTH],
    )


async def touch(family: str, user_id: int) -> bool:
    """A refresh used the session: move its `last_used_at`. False when it has ended (say
    by a role change that committed after the refresh token was checked)."""
    touched = await Session.filter(id=family, user_id=user_id, ended_at=None).update(
        last_used_at=timezone.now()
    )
    return touched > 0


async def open_sessions(user_id: int) -> list[Session]:
    """The user's sessions that have not ended, newest first."""
    return await Session.filter(user_id=user_id, ended_at=None).order_by("-created_at", "id")


async def end(tokens: TokenManager, user_id: int, session_id: str, reason: SessionEnd) -> None:
    """End one open session of `user_id`; NotFound for any other id, another user's
    included, so that ids say nothing."""
    if len(session_id) > SESSION_ID_LENGTH:  # the column's bound: no such session
        raise NotFound("Session")
    async with in_transaction():
        ended = await _mark_ended(Session.filter(id=session_id, user_id=user_id), reason)
        if not ended:
            raise NotFound("Session")
        await tokens.end_family(session_id)


async def end_if_open(
    tokens: TokenManager, user_id: int, session_id: str, reason: SessionEnd
) -> None:
    """`end`, for a session that may have ended already (a logout's)."""
    try:
        await end(tokens, user_id, session_id, reason)
    except NotFound:
        return


async def end_all_but(tokens: TokenManager, user_id: int, kept: str, reason: SessionEnd) -> None:
    """End every open session of `user_id` but `kept` (the caller's): each one's tokens
    are refused at once, by family, so that those of `kept` go on working."""
    others = Session.filter(user_id=user_id, ended_at=None).exclude(id=kept)
    for family in await others.values_list("id", flat=True):
        await tokens.end_family(str(family))
    await _mark_ended(others, reason)


async def mark_all_ended(user_id: int, reason: SessionEnd) -> None:
    """Record the end of every open session of the user, whose tokens a cut-off ends."""
    await _mark_ended(Session.filter(user_id=user_id), reason)


async def mark_ended(family: str, reason: SessionEnd) -> None:
    """Record the end of a session whose family the token manager already ended."""
    await _mark_ended(Session.filter(id=family), reason)


async def _mark_ended(sessions: QuerySet[Session], reason: SessionEnd) -> int:
    return await sessions.filter(ended_at=None).update(ended_at=timezone.now(), end_reason=reason)
