"""Helpers for the tests of apps built on the extension.

Tokens for any identity, role and claims without a login flow; the headers, or the
cookies and CSRF header, that carry them; and a clock to move for expiry tests instead
of sleeping::

    from sanic_jwt_extended.testing import access_token, bearer_headers, shifted_clock

    async def test_admins_may_delete(app):
        token = access_token("alice", role="ADMIN", app=app)
        _, response = await app.asgi_client.delete("/items/1", headers=bearer_headers(token))
        assert response.status == 200

    async def test_tokens_expire(app):
        headers = bearer_headers(access_token("alice", app=app))
        with shifted_clock(timedelta(minutes=16)):
            _, response = await app.asgi_client.get("/me", headers=headers)
        assert response.status == 401

Tokens are made with the app's own configuration (`app`, else the app initialised last),
so they are exactly what its login would issue.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from typing import Any, NamedTuple, Unpack

import jwt
from sanic import Sanic

from .clock import CLOCK
from .cookies import ACCESS_CSRF_COOKIE, REFRESH_CSRF_COOKIE
from .jwt_manager import TokenManager
from .state import JWTState, latest_state, state_of
from .tokens import TokenOptions

__all__ = [
    "ClockShift",
    "CookieCredentials",
    "access_token",
    "bearer_headers",
    "cookie_credentials",
    "refresh_token",
    "shifted_clock",
]


def access_token(
    identity: Any,
    role: str | None = None,
    *,
    fresh: bool | None = None,
    app: Sanic[Any, Any] | None = None,
    **options: Unpack[TokenOptions],
) -> str:
    """An access token for `identity`, as `JWT.create_access_token` makes it for `app`.

    options: `private_claims`, `public_claims`, `expires_delta`, `iss`, `aud`, `nbf`, ...
    """
    return TokenManager(_state(app)).create_access_token(identity, role, fresh, **options)


def refresh_token(
    identity: Any,
    role: str | None = None,
    *,
    app: Sanic[Any, Any] | None = None,
    **options: Unpack[TokenOptions],
) -> str:
    """A refresh token for `identity`, as `JWT.create_refresh_token` makes it for `app`."""
    return TokenManager(_state(app)).create_refresh_token(identity, role, **options)


def bearer_headers(token: str, *, app: Sanic[Any, Any] | None = None) -> dict[str, str]:
    """The header that carries `token`: the app's access or refresh header, by its type.

    The token is not verified, so an expired or tampered one can be sent too.
    """
    config = _state(app).config
    if _token_class(token) == "refresh":
        key, prefix = config.refresh_jwt_header_key, config.refresh_jwt_header_prefix
    else:
        key, prefix = config.jwt_header_key, config.jwt_header_prefix
    return {key: f"{prefix} {token}" if prefix else token}


class CookieCredentials(NamedTuple):
    """What a browser sends with a cookie-borne token: the cookies, and the CSRF header
    its page adds to unsafe requests (empty when the token carries no CSRF value)."""

    cookies: dict[str, str]
    headers: dict[str, str]

    @property
    def request_headers(self) -> dict[str, str]:
        """`headers` plus a `Cookie` header holding `cookies`: everything a request needs,
        for clients (httpx, sanic-testing) that no longer take cookies per request."""
        cookie = "; ".join(f"{name}={value}" for name, value in self.cookies.items())
        return {**self.headers, "Cookie": cookie}


def cookie_credentials(token: str, *, app: Sanic[Any, Any] | None = None) -> CookieCredentials:
    """The cookies (token and CSRF value) and CSRF header that carry `token`, as
    `set_access_cookies` / `set_refresh_cookies` and a browser's page would send them."""
    config = _state(app).config
    claims = jwt.decode(token, options={"verify_signature": False})
    if _token_class(token) == "refresh":
        cookie, csrf_cookie, header = (
            config.refresh_jwt_cookie,
            REFRESH_CSRF_COOKIE,
            config.refresh_jwt_csrf_header,
        )
    else:
        cookie, csrf_cookie, header = config.jwt_cookie, ACCESS_CSRF_COOKIE, config.jwt_csrf_header
    csrf = claims.get("csrf")
    if not csrf:
        return CookieCredentials({cookie: token}, {})
    return CookieCredentials({cookie: token, csrf_cookie: csrf}, {header: csrf})


class ClockShift:
    """The extension's clock moved inside a `shifted_clock` block."""

    def advance(self, by: timedelta) -> None:
        """Move the clock on by `by` (back, for a negative one)."""
        CLOCK.offset += by.total_seconds()

    @property
    def now(self) -> datetime:
        """What the extension takes as now (UTC)."""
        return datetime.fromtimestamp(CLOCK.now(), tz=UTC)


@contextmanager
def shifted_clock(by: timedelta = timedelta(0)) -> Iterator[ClockShift]:
    """Move the extension's clock by `by` for the block, and further with `advance`.

    Everything the extension dates moves together: the `iat` and `exp` of tokens made in
    the block, the checks of `exp` and `nbf`, `revoke_all` cut-offs and the refresh reuse
    grace period. The clock keeps running, so events stay in order; `time.time` and the
    rest of the process are untouched. Leaving the block puts the clock back.
    """
    before = CLOCK.offset
    shift = ClockShift()
    shift.advance(by)
    try:
        yield shift
    finally:
        CLOCK.offset = before


def _state(app: Sanic[Any, Any] | None) -> JWTState:
    return latest_state() if app is None else state_of(app)


def _token_class(token: str) -> str | None:
    """The type (`access` or `refresh`) a token's header claims, unverified."""
    token_class = jwt.get_unverified_header(token).get("class")
    return token_class if isinstance(token_class, str) else None
