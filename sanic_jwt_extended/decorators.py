"""The view decorators: each finds, verifies and checks a token, then passes it as `token=`.

They work bare (`@jwt_required`) or called (`@jwt_required(allow=["ADMIN"])`), on
function views and on the methods of an `HTTPMethodView`. The checks themselves are the
`Guard`'s; this module only puts a guard in front of a view.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Iterable
from functools import cache, partial, wraps
from typing import Any, TypeVar, overload

from sanic import Request

from .exceptions import ConfigurationConflictError
from .guard import Guard
from .openapi import mark
from .revocation import settle_revocations
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
    """Require a valid access token; the view receives it as the keyword argument `token`.

    function: the view, when used bare (`@jwt_required`); omitted when called.
    allow: the only roles (the `acl_claim`) let in; a token without a role is refused.
    deny: roles refused, everyone else let in. `allow` and `deny` together raise
        ConfigurationConflictError when the decorator is applied.
    fresh_required: refuse tokens that do not come straight from a login (`fresh=True`).

    The view takes the request first (after `self` in an `HTTPMethodView`).
    """
    guard = Guard("access", allow, deny, fresh_required=fresh_required, optional=False)
    return _apply(guard, function)


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
    """Like `jwt_required`, but pass `token=None` when no access token was sent.

    A token that is sent and invalid (expired, tampered, revoked) is still refused; an
    `Authorization` header of another scheme (`Basic ...`) counts as no token.
    `function`, `allow` and `deny` are those of `jwt_required`; roles apply to tokens sent.
    """
    guard = Guard("access", allow, deny, fresh_required=False, optional=True)
    return _apply(guard, function)


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
    """Require a valid refresh token (by default in the `X-Refresh-Token` header).

    `function`, `allow` and `deny` are those of `jwt_required`. `fresh_required` is
    accepted for 1.0 code: False does nothing, and True raises ConfigurationConflictError
    when applied, as refresh tokens carry no freshness and no refresh token could pass.
    """
    if fresh_required:
        raise ConfigurationConflictError("refresh tokens carry no freshness: fresh_required=True")
    guard = Guard("refresh", allow, deny, fresh_required=False, optional=False)
    return _apply(guard, function)


async def verify_jwt_in_request(
    request: Request, *, optional: bool = False, fresh: bool = False, refresh: bool = False
) -> Token | None:
    """Run the checks of the decorators inline, for views that need a second token.

    request: the request being served; its app's configuration is used.
    optional: answer None instead of raising NoAuthorizationError when no token was sent.
    fresh: require a fresh access token, as `jwt_required(fresh_required=True)`.
    refresh: look for and require a refresh token instead of an access token.

    Named after flask-jwt-extended's function. Raises the same errors as the decorators,
    which the app's handlers answer.
    """
    return await _inline_guard(refresh, fresh, optional).authenticate(request)


@cache
def _inline_guard(refresh: bool, fresh: bool, optional: bool) -> Guard:
    """The guard of one combination of `verify_jwt_in_request`'s flags, built once."""
    token_type: TokenType = "refresh" if refresh else "access"
    return Guard(token_type, None, None, fresh_required=fresh, optional=optional)


def _apply(guard: Guard, function: View | None) -> Any:
    """The decorator putting `guard` in front of a view, applied to `function` if given."""
    protect = partial(_protect, guard)
    return protect(function) if function is not None else protect


def _protect(guard: Guard, view: View) -> View:
    _refuse_unusable_signature(view)

    @wraps(view)
    async def protected(*args: Any, **kwargs: Any) -> Any:
        request = _request_among(args, view)
        token = await guard.authenticate(request)
        response = view(*args, token=token, **kwargs)
        if inspect.isawaitable(response):
            response = await response
        await settle_revocations(request)
        return response

    mark(protected, guard)
    return protected  # type: ignore[return-value]


_SIGNATURE_RULE = (
    "a protected view takes the request as its first argument (its second, after self, "
    "in an HTTPMethodView) and the token as the keyword argument `token`"
)


def _refuse_unusable_signature(view: Callable[..., Any]) -> None:
    """Refuse, when decorating, a view that no request could be passed to with `token=`."""
    try:
        # The view's own signature: a wrapper may well accept what the function it wraps
        # does not (and our own wrapper takes `token` away).
        signature = inspect.signature(view, follow_wrapped=False)
    except (TypeError, ValueError):  # not introspectable: left to the check per request
        return
    for positional in ((None,), (None, None)):  # a function view; a method with self
        try:
            signature.bind_partial(*positional, token=None)
        except TypeError:
            continue
        return
    raise TypeError(f"{_name(view)} cannot be protected: {_SIGNATURE_RULE}")


def _request_among(args: tuple[Any, ...], view: Callable[..., Any]) -> Request:
    """The request a view was called with: first for a function view, second for a method."""
    for argument in args[:2]:
        if isinstance(argument, Request):
            return argument
    raise TypeError(f"{_name(view)} was called without a Request: {_SIGNATURE_RULE}")


def _name(view: Callable[..., Any]) -> str:
    return getattr(view, "__qualname__", repr(view))
