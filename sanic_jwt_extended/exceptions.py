"""Exceptions raised by the extension.

Each one maps to a handler of `JWT.handler` (see the error table in `handlers.py`) that
turns it into a JSON response. Invalid and expired tokens raise PyJWT's own
`InvalidTokenError` and `ExpiredSignatureError`, re-exported here, so callers can catch
either spelling.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from jwt import ExpiredSignatureError, InvalidTokenError

if TYPE_CHECKING:
    from .protocols import TokenFacts

__all__ = [
    "AccessDeniedError",
    "BlacklistUnavailableError",
    "CSRFError",
    "ConfigurationConflictError",
    "ExpiredSignatureError",
    "FreshTokenRequiredError",
    "InvalidHeaderError",
    "InvalidTokenError",
    "JWTDecodeError",
    "JWTExtendedException",
    "NoAuthorizationError",
    "RefreshTokenReusedError",
    "RevokedTokenError",
    "TokenRefusedError",
    "WrongTokenError",
]


class JWTExtendedException(Exception):
    """Base class of every error this extension raises itself."""


class TokenRefusedError(JWTExtendedException):
    """A token verified, yet was refused here; `token` is that token (a `Token`).

    So a replaced handler can see who was refused, e.g. to log `exception.token.identity`.
    `token` is None when the error is raised by hand without one.
    """

    def __init__(self, message: str = "", *, token: TokenFacts | None = None) -> None:
        super().__init__(message)
        self.token = token


class ConfigurationConflictError(JWTExtendedException):
    """The configuration, or a call, contradicts itself (e.g. HS256 without a secret)."""


class NoAuthorizationError(JWTExtendedException):
    """No token was found in any configured location."""


class InvalidHeaderError(JWTExtendedException):
    """A token header is present but not of the form `<prefix> <jwt>`."""


class JWTDecodeError(JWTExtendedException):
    """The token verified, but a claim it must carry is missing or of the wrong type."""


class WrongTokenError(TokenRefusedError):
    """A refresh token was sent where an access token was expected, or the reverse."""


class RevokedTokenError(TokenRefusedError):
    """The token, or every token of its subject, has been revoked."""


class RefreshTokenReusedError(TokenRefusedError):
    """A refresh token already spent by a rotation came back after the grace period.

    Someone holds a copy: the token's whole family (its session) has been ended.
    """


class FreshTokenRequiredError(TokenRefusedError):
    """The view needs a fresh access token (one issued by a login, not by a refresh)."""


class AccessDeniedError(TokenRefusedError):
    """The token's role is not allowed on this view."""


class CSRFError(TokenRefusedError):
    """A cookie-borne token came without the matching double-submit CSRF header."""


class BlacklistUnavailableError(JWTExtendedException):
    """The blacklist could not be consulted; the request is refused rather than let through."""


class BlacklistForgotError(BlacklistUnavailableError):
    """The blacklist's store lost what it held since it was filled from the journal (a
    Redis restarted without persistence, flushed, or evicting): it must be filled again
    before any token is let through."""
