"""The JWT extension on an app, and the guards of the views.

The views take their guards from here rather than from the extension: these are the
extension's, plus a note of the verified token's user for the access log (app.web.logs),
and `admin_required`, which checks the admin claim too.
"""

from collections.abc import Awaitable, Callable
from functools import wraps
from typing import Any, overload

from redis.asyncio import Redis
from sanic import HTTPResponse, Request, Sanic

import sanic_jwt_extended
from app.accounts.tokens import configure_jwt
from app.db.journal import DatabaseJournal
from app.db.models import Role
from app.settings import Settings
from app.web.access_log import note_user
from app.web.context import app_context_of
from app.web.errors import replace_jwt_handlers
from sanic_jwt_extended import JWT, TokenManager
from sanic_jwt_extended.exceptions import AccessDeniedError
from sanic_jwt_extended.tokens import Token

View = Callable[..., Awaitable[HTTPResponse]]


def initialise_jwt(app: Sanic[Any, Any], settings: Settings, redis: Redis | None) -> TokenManager:
    """Initialise the extension for `app`; return its token manager, which the views use.

    The journal reads through the app's database context, which its start opens.
    """
    journal = DatabaseJournal(lambda: app_context_of(app).orm)
    with JWT.initialize(app) as manager:
        configure_jwt(manager.config, settings, journal=journal, redis=redis)
        replace_jwt_handlers(manager.handler)
    return TokenManager.of(app)


def admin_required(*, fresh: bool = False) -> Callable[[View], View]:
    """Require an admin: role ADMIN in the ACL claim and the private claim `is_admin` true.

    The extension checks the role; the claim is checked here, refused with the
    extension's own AccessDeniedError, so that one handler answers both (403) and
    neither check alone opens an admin route.
    """

    def decorate(view: View) -> View:
        @wraps(view)
        async def check_claim(
            request: Request, *args: Any, token: Token, **kwargs: Any
        ) -> HTTPResponse:
            if token.private_claims.get("is_admin") is not True:
                raise AccessDeniedError("The token's is_admin claim is not true", token=token)
            return await view(request, *args, token=token, **kwargs)

        guard: Callable[[View], View] = sanic_jwt_extended.jwt_required(
            allow=[Role.ADMIN.value], fresh_required=fresh
        )
        return guard(_noting_user(check_claim))

    return decorate


@overload
def jwt_required(view: View) -> View: ...
@overload
def jwt_required(*, fresh_required: bool = False) -> Callable[[View], View]: ...
def jwt_required(
    view: View | None = None, *, fresh_required: bool = False
) -> View | Callable[[View], View]:
    """The extension's `jwt_required`, bare or called, noting the token's user."""

    def decorate(view: View) -> View:
        guard: Callable[[View], View] = sanic_jwt_extended.jwt_required(
            fresh_required=fresh_required
        )
        return guard(_noting_user(view))

    return decorate if view is None else decorate(view)


def refresh_jwt_required(view: View) -> View:
    """The extension's `refresh_jwt_required`, noting the token's user."""
    protected: View = sanic_jwt_extended.refresh_jwt_required(_noting_user(view))
    return protected


def _noting_user(view: View) -> View:
    """`view`, run once the extension let the token in, after noting whose it is.

    The extension's guard stays the outermost wrapper, so the route's handler is still
    the function it protects (and documents).
    """

    @wraps(view)
    async def note_then_serve(
        request: Request, *args: Any, token: Token | None, **kwargs: Any
    ) -> HTTPResponse:
        if token is not None:
            note_user(request, token.identity)
        return await view(request, *args, token=token, **kwargs)

    return note_then_serve
