"""Accounts and sessions: register, login, refresh, logout, who am I, a new password."""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from sanic import Blueprint, HTTPResponse, Request
from sanic_ext.extensions.openapi import openapi

from app.accounts import flows, sessions
from app.accounts.sessions import Client
from app.accounts.tokens import token_claims, token_user_id
from app.db.models import SessionEnd
from app.exceptions import (
    ForeignRefreshToken,
    InvalidCredentials,
    LoginThrottled,
    ThrottleUnavailable,
    UserGone,
    WrongPassword,
)
from app.schemas import (
    AccessToken,
    Credentials,
    Login,
    Me,
    Message,
    PasswordChange,
    PasswordGrant,
    TokenPair,
    UserOut,
)
from app.web.context import app_context
from app.web.docs import HEADER_VALUE, operation
from app.web.guards import jwt_required, refresh_jwt_required
from app.web.payloads import (
    FORM,
    NO_STORE,
    media_type,
    message,
    parse_body,
    parse_form,
    read_route,
    respond,
)
from sanic_jwt_extended import verify_jwt_in_request
from sanic_jwt_extended.exceptions import ExpiredSignatureError, RevokedTokenError
from sanic_jwt_extended.tokens import Token

bp = Blueprint("auth")


THROTTLED = (
    LoginThrottled.message,
    "Too many failed logins for the username or from the address within the window: "
    "every attempt is refused, the right password included, for the seconds Retry-After "
    "gives.",
)
THROTTLE_UNAVAILABLE = (
    ThrottleUnavailable.message,
    "Or the login throttle's Redis is unreachable.",
)
PASSWORD_CHANGED = "Password changed; your other sessions have ended."
LOGGED_OUT_EVERYWHERE = "Logged out everywhere: every session has ended."


@bp.post("/register")
@operation(
    "register",
    "Create an account",
    "A new account with the role USER, which only an admin can raise. Usernames are 3 to "
    "64 letters, digits, `.`, `_` or `-`, unique in any letter case; passwords 8 to 128 "
    "characters.",
    body=Credentials,
    responses={201: (UserOut, "The new account, a USER.")},
    errors={409: "That username is taken."},
)
async def register(request: Request) -> HTTPResponse:
    """Create a USER account; roles are only ever raised by an admin."""
    credentials = parse_body(request, Credentials)
    user = await flows.register(app_context(request).passwords, credentials)
    return respond(UserOut.model_validate(user), status=201)


@bp.post("/login")
@operation(
    "login",
    "Log in",
    "Exchange a username and password for a fresh access token and a refresh token, "
    "starting a session. The body is JSON, or the form of OAuth2's password grant "
    "(`grant_type=password`, `username`, `password`; `client_id`, `client_secret` and "
    "`scope` are ignored) that OAuth2 clients and this page's Authorize send. After too "
    "many failures for a username or from an address, every login is refused for a while.",
    body=Login,
    form=PasswordGrant,
    responses={200: (TokenPair, "A fresh access token and a refresh token.")},
    errors={401: InvalidCredentials.message, 429: THROTTLED, 503: THROTTLE_UNAVAILABLE},
)
async def login(request: Request) -> HTTPResponse:
    """Exchange a username and password for a fresh access token and a refresh token."""
    credentials = _login_of(request)
    context = app_context(request)
    async with _throttled(request, credentials.username):
        access, refresh = await flows.log_in(
            context.passwords, context.jwt, credentials, client_of(request)
        )
    body = TokenPair(access_token=access, refresh_token=refresh, expires_in=_lifetime(request))
    return respond(body, headers=NO_STORE)


def _login_of(request: Request) -> Login:
    """The credentials of a login: a JSON body, or OAuth2's password grant as a form."""
    if media_type(request) == FORM:
        return parse_form(request, PasswordGrant).login()
    return parse_body(request, Login)


@asynccontextmanager
async def _throttled(request: Request, username: str) -> AsyncIterator[None]:
    """A password check that the login throttle counts.

    The throttle is asked first, so that a refused attempt costs no password hash; a
    failure (InvalidCredentials) is counted against the username and the address, a
    success ends the username's count.
    """
    throttle = app_context(request).throttle
    address = client_of(request).address
    await throttle.check(username, address)
    try:
        yield
    except InvalidCredentials:
        await throttle.failed(username, address)
        raise
    await throttle.succeeded(username)


@bp.post("/refresh")
@operation(
    "refresh",
    "Get a new access token",
    "Send the refresh token (X-Refresh-Token: `Bearer <token>`) for a new access token, "
    "which is not fresh, with the role as it is now. With rotation on, the refresh token "
    "sent is spent and the answer holds the next one: keep it. A spent one sent again "
    "after a short grace period ends the whole session.",
    responses={
        200: (
            TokenPair,
            "A new access token, not fresh, and (with rotation on) the next refresh token: "
            "store it, the one sent is spent.",
        )
    },
    errors={
        401: (
            UserGone.message,
            "The user is gone; or the refresh token has expired or been revoked, or it was "
            "spent already and came back after the grace period: its session has ended.",
        )
    },
)
@refresh_jwt_required
async def refresh(request: Request, token: Token) -> HTTPResponse:
    """A new, non-fresh access token, with the role and claims as the database has them
    now; with rotation on, the refresh token sent is spent and the next one comes too."""
    access, next_refresh = await flows.refresh(app_context(request).jwt, token, client_of(request))
    lifetime = _lifetime(request)
    if next_refresh is None:
        body: AccessToken = AccessToken(access_token=access, expires_in=lifetime)
    else:
        body = TokenPair(access_token=access, refresh_token=next_refresh, expires_in=lifetime)
    return respond(body, headers=NO_STORE)


@bp.post("/logout")
@operation(
    "logout",
    "Log out",
    "End the session of the access token sent: it and every token of the session, its "
    "refresh tokens included, are refused from now on. The user's other sessions go on "
    "(POST /logout/all ends them all).",
    responses={200: (Message, "Logged out.")},
    errors={
        400: ("The request head is malformed (RFC 9112).", "A header holds a control character.")
    },
)
@openapi.parameter(
    "X-Refresh-Token",
    HEADER_VALUE,
    "header",
    required=False,
    description="`Bearer <refresh token>` of the same user, revoked too; a malformed, "
    "tampered or another user's token is a 401 and nothing is revoked.",
)
@jwt_required
async def logout(request: Request, token: Token) -> HTTPResponse:
    """End the session of this access token: it and every token of the session, its
    refresh tokens included, are refused from now on. An X-Refresh-Token sent along is
    revoked too (a refresh token from before sessions has none to end)."""
    refresh, gone = await _refresh_token_sent(request, token)
    if token.family is not None:
        tokens = app_context(request).jwt
        await sessions.end_if_open(tokens, token_user_id(token), token.family, SessionEnd.LOGOUT)
    await token.revoke()
    if refresh is not None:
        await refresh.revoke()
    return message(f"Logged out; the refresh token {gone}." if gone else "Logged out.")


@bp.post("/logout/all")
@operation(
    "logoutEverywhere",
    "Log out everywhere",
    "End every session of the caller, this one included, on every device: every access "
    "and refresh token they hold is refused from now on. Log in again to go on.",
    responses={200: (Message, LOGGED_OUT_EVERYWHERE)},
)
@jwt_required
async def logout_everywhere(request: Request, token: Token) -> HTTPResponse:
    """End every session of the token's user, the caller's included."""
    await flows.log_out_everywhere(app_context(request).jwt, token_user_id(token))
    return message(LOGGED_OUT_EVERYWHERE)


@read_route(bp, "/me")
@operation(
    "getMe",
    "Who am I",
    "What the access token says about its bearer: the user's id, name and role, and the "
    "token's private claims.",
    responses={200: (Me, "The token's claims.")},
    database=False,
)
@jwt_required
async def me(request: Request, token: Token) -> HTTPResponse:
    """What the access token says about its bearer."""
    claims = token_claims(token)
    return respond(
        Me(
            id=token_user_id(token),
            username=claims.username,
            role=token.role,
            private_claims=token.private_claims,
        )
    )


@bp.put("/me/password")
@operation(
    "changeMyPassword",
    "Change my password",
    "Set a new password, sending the current one. Every other session of the user ends "
    "(their tokens are refused at once); this one goes on, its tokens still working. A "
    "wrong current password is a 403, not a 401 (OAuth2 clients take a 401 for an expired "
    "token), and counts as a failed login: too many, and the login throttle's 429 answers.",
    body=PasswordChange,
    responses={200: (Message, PASSWORD_CHANGED)},
    errors={
        403: WrongPassword.message,
        409: (
            "The account changed meanwhile: try again.",
            "The password was changed by another request meanwhile.",
        ),
        429: THROTTLED,
        503: THROTTLE_UNAVAILABLE,
    },
)
@jwt_required
async def change_password(request: Request, token: Token) -> HTTPResponse:
    """Set the caller's password; their other sessions end, this one goes on."""
    change = parse_body(request, PasswordChange)
    context = app_context(request)
    try:
        async with _throttled(request, token_claims(token).username):
            await flows.change_password(context.passwords, context.jwt, token, change)
    except InvalidCredentials:
        raise WrongPassword from None
    return message(PASSWORD_CHANGED)


def client_of(request: Request) -> Client:
    """Who sent `request`: its User-Agent, and its address as Sanic resolves it (behind a
    configured proxy, the forwarded one; else the peer's)."""
    return Client(
        user_agent=request.headers.get("user-agent", ""),
        address=request.remote_addr or request.ip,
    )


def _lifetime(request: Request) -> int:
    return app_context(request).settings.access_token_minutes * 60


async def _refresh_token_sent(request: Request, access: Token) -> tuple[Token | None, str]:
    """The refresh token sent along with a logout, checked before anything is revoked.

    Returns it (None when none was sent, or it needs no revoking) and, if it was already
    gone, how: an expired or revoked one must not keep the access token alive. A
    malformed, tampered or foreign one is answered as the extension answers any bad
    token (401), and nothing is revoked, so the client can retry.
    """
    header = app_context(request).jwt.config.refresh_jwt_header_key
    if header not in request.headers:
        return None, ""
    try:
        refresh = await verify_jwt_in_request(request, refresh=True)
    except ExpiredSignatureError:
        return None, "had already expired"
    except RevokedTokenError:
        return None, "had already been revoked"
    assert refresh is not None  # not optional: a missing token raises
    if refresh.identity != access.identity:
        raise ForeignRefreshToken(header)
    return refresh, ""
