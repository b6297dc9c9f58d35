"""Putting tokens in cookies and taking them out: flask-jwt-extended's
`set_access_cookies`, `set_refresh_cookies` and `unset_jwt_cookies`.

Each token cookie is HttpOnly, so page scripts cannot read the token. When the token
carries a CSRF value (`"cookies"` in `token_location` and `csrf_protect` on), a second
cookie, readable by scripts, holds that value: the page copies it into the
`jwt_csrf_header` (`refresh_jwt_csrf_header`) of its unsafe requests, which is the
double-submit check. Cookie names are the app's `jwt_cookie` and `refresh_jwt_cookie`,
and `csrf_access_token` / `csrf_refresh_token` for the CSRF values.
"""

from __future__ import annotations

import math
from typing import Any, Literal

import jwt
from sanic.response import HTTPResponse

from .clock import CLOCK
from .state import current_state

__all__ = [
    "ACCESS_CSRF_COOKIE",
    "REFRESH_CSRF_COOKIE",
    "set_access_cookies",
    "set_refresh_cookies",
    "unset_access_cookies",
    "unset_jwt_cookies",
    "unset_refresh_cookies",
]

ACCESS_CSRF_COOKIE = "csrf_access_token"
REFRESH_CSRF_COOKIE = "csrf_refresh_token"

SameSite = Literal["Strict", "Lax", "None"]


def set_access_cookies(
    response: HTTPResponse,
    access_token: str,
    *,
    max_age: int | None = None,
    path: str = "/",
    domain: str | None = None,
    secure: bool = True,
    samesite: SameSite = "Lax",
) -> None:
    """Set the access token cookie (and its CSRF cookie) on `response`.

    max_age: seconds the browser keeps them; None: until the token expires (a session
        cookie for a token that never does). Keep `secure` on outside local HTTP tests.
    """
    config = current_state().config
    _set(
        response,
        config.jwt_cookie,
        ACCESS_CSRF_COOKIE,
        access_token,
        max_age,
        path=path,
        domain=domain,
        secure=secure,
        samesite=samesite,
    )


def set_refresh_cookies(
    response: HTTPResponse,
    refresh_token: str,
    *,
    max_age: int | None = None,
    path: str = "/",
    domain: str | None = None,
    secure: bool = True,
    samesite: SameSite = "Lax",
) -> None:
    """Set the refresh token cookie (and its CSRF cookie): `set_access_cookies`'s options."""
    config = current_state().config
    _set(
        response,
        config.refresh_jwt_cookie,
        REFRESH_CSRF_COOKIE,
        refresh_token,
        max_age,
        path=path,
        domain=domain,
        secure=secure,
        samesite=samesite,
    )


def unset_access_cookies(
    response: HTTPResponse, *, path: str = "/", domain: str | None = None
) -> None:
    """Tell the browser to drop the access token cookie and its CSRF cookie."""
    for name in (current_state().config.jwt_cookie, ACCESS_CSRF_COOKIE):
        response.delete_cookie(name, path=path, domain=domain)


def unset_refresh_cookies(
    response: HTTPResponse, *, path: str = "/", domain: str | None = None
) -> None:
    """Tell the browser to drop the refresh token cookie and its CSRF cookie."""
    for name in (current_state().config.refresh_jwt_cookie, REFRESH_CSRF_COOKIE):
        response.delete_cookie(name, path=path, domain=domain)


def unset_jwt_cookies(
    response: HTTPResponse, *, path: str = "/", domain: str | None = None
) -> None:
    """Both of the above: what a logout answers with."""
    unset_access_cookies(response, path=path, domain=domain)
    unset_refresh_cookies(response, path=path, domain=domain)


def _set(
    response: HTTPResponse,
    name: str,
    csrf_name: str,
    token: str,
    max_age: int | None,
    **options: Any,
) -> None:
    # The token was just made by this app: what it says is read, not verified again
    # (the request that sends it back is verified).
    claims = jwt.decode(token, options={"verify_signature": False})
    if max_age is None and "exp" in claims:
        max_age = max(0, math.ceil(claims["exp"] - CLOCK.now()))
    response.add_cookie(name, token, max_age=max_age, httponly=True, **options)
    if claims.get("csrf"):
        response.add_cookie(csrf_name, claims["csrf"], max_age=max_age, httponly=False, **options)
