"""The view decorators: each finds, verifies and checks a token, then passes it as `token=`.

They work bare (`@jwt_required`) or called (`@jwt_required(allow=["ADMIN"])`), on
function views and on the methods of an `HTTPMethodView`.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Iterable
from functools import wraps
from typing import Any, TypeVar, overload

from sanic import Request

from .exceptions import (
    AccessDeniedError,
    ConfigurationConflictError,
    FreshTokenRequiredError,
    NoAuthorizationError,
    RevokedTokenError,
    WrongTokenError,
)
from .locations import check_csrf, find_token
from .revocation import is_revoked, settle_revocations
from .state import JWTState, state_of
from .tokens import Token, TokenType

View = TypeVar("View", bound=Callable[..., Any])


@overload
def jwt_required(function: View) -> View: ...
@overload
def jwt_required(
    function: None = None,
    *,
    allow: Iterable[str] | None = None,
    deny: Iterable[str] | None = None,
    fresh_required: bool = False,
) -> Callable[[View], View]: ...
def jwt_required(
    function: View | None = None,
    *,
    allow: Iterable[str] | None = None,
    deny: Iterable[str] | None = None,
    fresh_required: bool = False,
) -> Any:
    """Require a valid access token (fresh, if asked) whose role passes `allow`/`deny`."""
    guard = _Guard("access", allow, deny, fresh_required=fresh_required, optional=False)
    return guard.protect(function) if function is not None else guard.protect


@overload
def jwt_optional(function: View) -> View: ...
@overload
def jwt_optional(
    function: None = None,
    *,
    allow: Iterable[str] | None = None,
    deny: Iterable[str] | None = None,
) -> Callable[[View], View]: ...
def jwt_optional(
    function: View | None = None,
    *,
    allow: Iterable[str] | None = None,
    deny: Iterable[str] | None = None,
) -> Any:
    """Pass `token=None` when no access token was sent; an invalid token is still refused."""
    guard = _Guard("access", allow, deny, fresh_required=False, optional=True)
    return guard.protect(function) if function is not None else guard.protect


@overload
def refresh_jwt_required(function: View) -> View: ...
@overload
def refresh_jwt_required(
    function: None = None,
    *,
    allow: Iterable[str] | None = None,
    deny: Iterable[str] | None = None,
    fresh_required: bool = False,
) -> Callable[[View], View]: ...
def refresh_jwt_required(
    function: View | None = None,
    *,
    allow: Iterable[str] | None = None,
    deny: Iterable[str] | None = None,
    fresh_required: bool = False,
) -> Any:
    """Require a valid refresh token. `fresh_required=True` is refused: refresh tokens
    carry no freshness, so no refresh token could ever pass."""
    if fresh_required:
        raise ConfigurationConflictError("refresh tokens carry no freshness: fresh_required=True")
    guard = _Guard("refresh", allow, deny, fresh_required=False, optional=False)
    return guard.protect(function) if function is not None else guard.protect


async def verify_jwt_in_request(
    request: Request, *, optional: bool = False, fresh: bool = False, refresh: bool = False
) -> Token | None:
    """Run the checks of the decorators inline, for views that need a second token.

    Named after flask-jwt-extended's function: `refresh=True` wants a refresh token,
    `fresh=True` a fresh access token, and `optional=True` answers None when none is sent.
    """
    token_type: TokenType = "refresh" if refresh else "access"
    guard = _Guard(token_type, None, None, fresh_required=fresh, optional=optional)
    return await guard.authenticate(request)


class _Guard:
    """The checks one decorated view runs, fixed when the decorator is applied."""

    def __init__(
        self,
        token_type: TokenType,
        allow: Iterable[str] | None,
        deny: Iterable[str] | None,
        *,
        fresh_required: bool,
        optional: bool,
    ) -> None:
        if allow is not None and deny is not None:
            raise ConfigurationConflictError("allow and deny cannot be used together")
        self.token_type = token_type
        self.allow = None if allow is None else frozenset(allow)
        self.deny = None if deny is None else frozenset(deny)
        self.fresh_required = fresh_required
        self.optional = optional

    def protect(self, view: View) -> View:
        @wraps(view)
        async def protected(*args: Any, **kwargs: Any) -> Any:
            # A function view gets the request first; an HTTPMethodView method, second.
            request: Request = args[0] if isinstance(args[0], Request) else args[1]
            token = await self.authenticate(request)
            response = view(*args, token=token, **kwargs)
            if inspect.isawaitable(response):
                response = await response
            await settle_revocations(request)
            return response

        return protected  # type: ignore[return-value]

    async def authenticate(self, request: Request) -> Token | None:
        state = state_of(request.app)
        found = find_token(
            request,
            state.config,
            state.locations,
            self.token_type,
            foreign_scheme_is_absent=self.optional,
        )
        if found is None:
            if self.optional:
                return None
            raise NoAuthorizationError(f"Missing {self._what(state)}")
        token = Token(found.raw, state=state)
        if token.type != self.token_type:
            raise WrongTokenError(f"Only {self.token_type} tokens are allowed")
        if found.location == "cookies" and state.config.csrf_protect:
            check_csrf(request, state.config, token)
        if state.blacklist is not None and await is_revoked(state.blacklist, token):
            raise RevokedTokenError("Token has been revoked")
        self.check_role(token)
        if self.fresh_required and token.fresh is not True:
            raise FreshTokenRequiredError("Fresh token required")
        return token

    def check_role(self, token: Token) -> None:
        if (self.allow is not None and token.role not in self.allow) or (
            self.deny is not None and token.role in self.deny
        ):
            raise AccessDeniedError("This role may not access this resource")

    def _what(self, state: JWTState) -> str:
        """Name what was missing in the words of the configured locations."""
        config = state.config
        refresh = self.token_type == "refresh"
        header = config.refresh_jwt_header_key if refresh else config.jwt_header_key
        cookie = config.refresh_jwt_cookie if refresh else config.jwt_cookie
        places = {
            "header": f"{header} header",
            "cookies": f"{cookie} cookie",
            "query": f"{config.jwt_query_param_name} query parameter",
        }
        return f"{self.token_type} token: looked in " + ", ".join(
            places[location] for location in state.locations
        )
