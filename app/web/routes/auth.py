"""Accounts and sessions: register, login, refresh, logout, and who am I."""

from sanic import Blueprint, HTTPResponse, Request
from sanic_ext.extensions.openapi import openapi

from app.accounts import flows, sessions
from app.accounts.sessions import Client
from app.accounts.tokens import token_claims, token_user_id
from app.db.models import SessionEnd
from app.exceptions import ForeignRefreshToken, InvalidCredentials, UserGone
from app.schemas import AccessToken, Credentials, Login, Me, Message, TokenPair, UserOut
from app.web.context import app_context
from app.web.docs import HEADER_VALUE, operation
from app.web.guards import jwt_required, refresh_jwt_required
from app.web.payloads import NO_STORE, message, parse_body, read_route, respond
from sanic_jwt_extended import verify_jwt_in_request
from sanic_jwt_extended.exceptions import ExpiredSignatureError, RevokedTokenError
from sanic_jwt_extended.tokens import Token

bp = Blueprint("auth")


@bp.post("/register")
@operation(
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
    body=Login,
    responses={200: (TokenPair, "A fresh access token and a refresh token.")},
    errors={
        401: InvalidCredentials.message,
        429: "Too many failed logins for the username or from the address within the "
        "window: every login is refused, the right password included, for the seconds "
        "Retry-After gives.",
        503: "Or the login throttle's Redis is unreachable.",
    },
)
async def login(request: Request) -> HTTPResponse:
    """Exchange a username and password for a fresh access token and a refresh token.

    The throttle is asked first, so that a refused attempt costs no password hash.
    """
    credentials = parse_body(request, Login)
    context = app_context(request)
    client = client_of(request)
    await context.throttle.check(credentials.username, client.address)
    try:
        access, refresh = await flows.log_in(context.passwords, context.jwt, credentials, client)
    except InvalidCredentials:
        await context.throttle.failed(credentials.username, client.address)
        raise
    await context.throttle.succeeded(credentials.username)
    body = TokenPair(access_token=access, refresh_token=refresh, expires_in=_lifetime(request))
    return respond(body, headers=NO_STORE)


@bp.post("/refresh")
@operation(
    responses={
        200: (
            TokenPair,
            "A new access token, not fresh, and (with rotation on) the next refresh token: "
            "store it, the one sent is spent.",
        )
    },
    errors={
        401: f"{UserGone.message} Or the refresh token has expired or been revoked, or it "
        "was spent already and came back after the grace period: its session has ended."
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
    responses={200: (Message, "The session has ended: its tokens are refused from now on.")},
    errors={400: "A header holds a control character (RFC 9112)."},
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


@read_route(bp, "/me")
@operation(responses={200: (Me, "The token's claims.")}, database=False)
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
