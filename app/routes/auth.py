"""Accounts and sessions: register, login, refresh, logout, and who am I."""

from sanic import Blueprint, HTTPResponse, Request
from sanic.exceptions import SanicException, Unauthorized

from app.auth import access_token, refresh_token
from app.context import app_context
from app.models import Role, User
from app.routes.payloads import message, parse_body, respond
from app.routes.schemas import AccessToken, Credentials, Login, Me, TokenPair, UserOut
from app.routes.storage import unique_name
from sanic_jwt_extended import JWT, jwt_required, refresh_jwt_required, verify_jwt_in_request
from sanic_jwt_extended.exceptions import ExpiredSignatureError
from sanic_jwt_extended.tokens import Token

bp = Blueprint("auth")

INVALID_CREDENTIALS = "Invalid credentials."
REFRESH_HEADER = "X-Refresh-Token"


@bp.post("/register")
async def register(request: Request) -> HTTPResponse:
    """Create a USER account; roles are only ever raised by an admin."""
    credentials = parse_body(request, Credentials)
    password_hash = await app_context(request).passwords.hash(credentials.password)
    with unique_name("That username is taken."):
        user = await User.create(
            username=credentials.username, password_hash=password_hash, role=Role.USER
        )
    return respond(UserOut.model_validate(user), status=201)


@bp.post("/login")
async def login(request: Request) -> HTTPResponse:
    """Exchange a username and password for a fresh access token and a refresh token."""
    credentials = parse_body(request, Login)
    passwords = app_context(request).passwords
    user = await User.get_or_none(username=credentials.username)
    if not await passwords.verify(user.password_hash if user else None, credentials.password):
        raise Unauthorized(INVALID_CREDENTIALS)
    assert user is not None  # verify() never accepts a missing hash
    if passwords.needs_rehash(user.password_hash):
        user.password_hash = await passwords.hash(credentials.password)
        await user.save(update_fields=["password_hash"])
    return respond(
        TokenPair(
            access_token=access_token(user, fresh=True),
            refresh_token=refresh_token(user),
            expires_in=_access_lifetime(request),
        )
    )


@bp.post("/refresh")
@refresh_jwt_required
async def refresh(request: Request, token: Token) -> HTTPResponse:
    """A new, non-fresh access token, with the role and claims as the database has them now."""
    user = await User.get_or_none(id=int(token.identity))
    if user is None:
        raise Unauthorized("User no longer exists.")
    return respond(
        AccessToken(
            access_token=access_token(user, fresh=False), expires_in=_access_lifetime(request)
        )
    )


@bp.post("/logout")
@jwt_required
async def logout(request: Request, token: Token) -> HTTPResponse:
    """Revoke this access token and, when sent in X-Refresh-Token, its refresh token."""
    refresh = await _refresh_token_sent(request, token)
    await JWT.revoke(token)
    if refresh is not None:
        await JWT.revoke(refresh)
    return message("Logged out.")


@bp.get("/me")
@jwt_required
async def me(request: Request, token: Token) -> HTTPResponse:
    """What the access token says about its bearer."""
    claims = token.private_claims
    return respond(
        Me(
            id=int(token.identity),
            username=claims["username"],
            role=token.role,
            private_claims=claims,
        )
    )


def _access_lifetime(request: Request) -> int:
    return app_context(request).settings.access_token_minutes * 60


async def _refresh_token_sent(request: Request, access: Token) -> Token | None:
    """The refresh token sent along with a logout, checked before anything is revoked.

    A malformed, tampered or foreign one is answered as the extension answers any bad
    token (422), and nothing is revoked, so the client can retry. An expired one needs no
    revoking and is ignored.
    """
    if REFRESH_HEADER not in request.headers:
        return None
    try:
        refresh = await verify_jwt_in_request(request, refresh=True)
    except ExpiredSignatureError:
        return None
    assert refresh is not None  # not optional: a missing token raises
    if refresh.identity != access.identity:
        raise SanicException(
            f"{REFRESH_HEADER} holds another user's token.", status_code=422, quiet=True
        )
    return refresh
