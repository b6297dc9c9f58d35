"""The user a token stands for, handed to views: flask-jwt-extended's `current_user`,
sanic-jwt's `inject_user`.

The app names one loader in `config.user_loader` (sync or async, called with the verified
`Token`). `@inject_user`, placed under a `jwt_required`-family decorator, calls it and
passes the result to the view as the keyword argument `user`; `load_user` does the same
inline. A loader that finds nobody (answers None) refuses the request as a revoked token
(401): the token verified, but what it stood for is gone.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar

from sanic import Request

from .exceptions import ConfigurationConflictError, RevokedTokenError
from .state import state_of
from .tokens import Token

__all__ = ["UserLookupError", "inject_user", "load_user"]

View = TypeVar("View", bound=Callable[..., Any])


class UserLookupError(RevokedTokenError):
    """The token verified, but `user_loader` found no user for it (say, one deleted).

    A `RevokedTokenError`, so the `revoked_token` handler answers it (401); a replaced
    handler can tell it apart with `isinstance`.
    """


async def load_user(request: Request, token: Token | None) -> Any:
    """The user `token` stands for, by the app's `user_loader`; None for no token.

    Raises UserLookupError when the loader answers None, and ConfigurationConflictError
    when the app has no `user_loader`.
    """
    loader = state_of(request.app).config.user_loader
    if loader is None:
        raise ConfigurationConflictError("inject_user and load_user need config.user_loader")
    if token is None:  # jwt_optional without a token
        return None
    user = loader(token)
    if inspect.isawaitable(user):
        user = await user
    if user is None:
        raise UserLookupError(f"No user for the token's identity {token.identity!r}", token=token)
    return user


def inject_user(view: View) -> View:
    """Pass the view `user=`, the user its token stands for, beside `token=`.

    Goes under `@jwt_required`, `@jwt_optional` or `@refresh_jwt_required` (nearer the
    view), which give it the token: under `jwt_optional` without a token, `user` is None.
    """

    @wraps(view)
    async def with_user(*args: Any, token: Token | None, **kwargs: Any) -> Any:
        request = next(argument for argument in args[:2] if isinstance(argument, Request))
        user = await load_user(request, token)
        response = view(*args, token=token, user=user, **kwargs)
        return await response if inspect.isawaitable(response) else response

    return with_user  # type: ignore[return-value]
