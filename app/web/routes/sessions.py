"""Sessions: a user's own, and any user's for an admin; ending one refuses its tokens."""

from sanic import Blueprint, HTTPResponse, Request

from app.accounts import sessions
from app.accounts.tokens import token_user_id
from app.db.models import SessionEnd, User
from app.db.storage import get_or_404
from app.schemas import Message, SessionList, SessionOut
from app.web.context import app_context
from app.web.docs import operation
from app.web.guards import admin_required, jwt_required
from app.web.payloads import message, read_route, respond
from sanic_jwt_extended.tokens import Token

bp = Blueprint("sessions")

SESSION_NOT_FOUND = "Session not found."
ENDED = "Session ended: its tokens are refused from now on."


@read_route(bp, "/me/sessions")
@operation(
    "listMySessions",
    "List my sessions",
    "The caller's sessions (logins) that have not ended, newest first; `current` marks the "
    "one of the token sent.",
    responses={200: (SessionList, "The caller's sessions, newest first.")},
)
@jwt_required
async def my_sessions(request: Request, token: Token) -> HTTPResponse:
    """The sessions of the token's user that have not ended; `current` marks this one."""
    return await _sessions_of(token_user_id(token), token)


@bp.delete("/me/sessions/<session_id:str>")
@operation(
    "endMySession",
    "End one of my sessions",
    "End one of the caller's sessions, this one too: every token of it is refused from now on.",
    responses={200: (Message, ENDED)},
    errors={404: (SESSION_NOT_FOUND, "No such session of the caller's (another user's too).")},
)
@jwt_required
async def end_my_session(request: Request, session_id: str, token: Token) -> HTTPResponse:
    """End one of the caller's sessions (this one too): every token of it is refused."""
    tokens = app_context(request).jwt
    await sessions.end(tokens, token_user_id(token), session_id, SessionEnd.ENDED_BY_USER)
    return message(ENDED)


@read_route(bp, "/users/<user_id:int>/sessions")
@operation(
    "listUserSessions",
    "List a user's sessions",
    "A user's sessions that have not ended, newest first. For admins.",
    responses={200: (SessionList, "The user's sessions, newest first.")},
    errors={404: "User not found."},
)
@admin_required()
async def user_sessions(request: Request, user_id: int, token: Token) -> HTTPResponse:
    """A user's sessions that have not ended."""
    await get_or_404(User, user_id, "User")
    return await _sessions_of(user_id, token)


@bp.delete("/users/<user_id:int>/sessions/<session_id:str>")
@operation(
    "endUserSession",
    "End a user's session",
    "End one session of a user: every token of it is refused from now on. For admins.",
    responses={200: (Message, ENDED)},
    errors={404: (SESSION_NOT_FOUND, "No such user, or no such session of theirs.")},
)
@admin_required()
async def end_user_session(
    request: Request, user_id: int, session_id: str, token: Token
) -> HTTPResponse:
    """End one session of a user: every token of it is refused."""
    await get_or_404(User, user_id, "User")
    tokens = app_context(request).jwt
    await sessions.end(tokens, user_id, session_id, SessionEnd.ENDED_BY_ADMIN)
    return message(ENDED)


async def _sessions_of(user_id: int, token: Token) -> HTTPResponse:
    listed = [
        SessionOut(
            id=session.id,
            created_at=session.created_at,
            last_used_at=session.last_used_at,
            user_agent=session.user_agent,
            address=session.address,
            current=session.id == token.family,
        )
        for session in await sessions.open_sessions(user_id)
    ]
    return respond(SessionList(sessions=listed))
