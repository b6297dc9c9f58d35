"""The JSON responses given for each error, replaceable through `JWT.handler`.

Every handler is a Sanic error handler, `(request, exception) -> HTTPResponse` (or a
coroutine of one), answering `{"msg": "<sentence>"}` with the status 1.0 gave.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from functools import partial

from sanic import Request
from sanic.response import HTTPResponse, json

from .config import ReadOnlyAfterInit
from .exceptions import (
    AccessDeniedError,
    BlacklistUnavailableError,
    CSRFError,
    ExpiredSignatureError,
    FreshTokenRequiredError,
    InvalidHeaderError,
    InvalidTokenError,
    JWTDecodeError,
    NoAuthorizationError,
    RevokedTokenError,
    WrongTokenError,
)

ErrorHandler = Callable[[Request, Exception], HTTPResponse | Awaitable[HTTPResponse]]


def _answer(status: int, message: str | None = None) -> ErrorHandler:
    """A handler answering `status` with `message`, or with the exception's own text."""

    def handler(request: Request, exception: Exception) -> HTTPResponse:
        return json({"msg": message or _sentence(str(exception))}, status=status)

    return handler


def _sentence(text: str) -> str:
    text = text.strip() or "Invalid token"
    return text if text.endswith((".", "!", "?")) else f"{text}."


@dataclass(eq=False)
class Handler(ReadOnlyAfterInit):
    """One replaceable error handler per failure a protected view can meet."""

    no_authorization: ErrorHandler = field(default_factory=partial(_answer, 401))
    expired_signature: ErrorHandler = field(
        default_factory=partial(_answer, 401, "Token has expired.")
    )
    invalid_header: ErrorHandler = field(default_factory=partial(_answer, 422))
    invalid_token: ErrorHandler = field(default_factory=partial(_answer, 422))
    jwt_decode_error: ErrorHandler = field(default_factory=partial(_answer, 422))
    wrong_token: ErrorHandler = field(default_factory=partial(_answer, 422))
    revoked_token: ErrorHandler = field(
        default_factory=partial(_answer, 401, "Token has been revoked.")
    )
    fresh_token_required: ErrorHandler = field(
        default_factory=partial(_answer, 401, "Fresh token required.")
    )
    access_denied: ErrorHandler = field(default_factory=partial(_answer, 403))
    csrf_error: ErrorHandler = field(default_factory=partial(_answer, 401))
    blacklist_unavailable: ErrorHandler = field(default_factory=partial(_answer, 503))


# Which exception each handler answers. ExpiredSignatureError subclasses InvalidTokenError;
# Sanic looks up the exact class first, so expired tokens still get their own handler.
HANDLED_EXCEPTIONS: dict[str, type[Exception]] = {
    "no_authorization": NoAuthorizationError,
    "expired_signature": ExpiredSignatureError,
    "invalid_header": InvalidHeaderError,
    "invalid_token": InvalidTokenError,
    "jwt_decode_error": JWTDecodeError,
    "wrong_token": WrongTokenError,
    "revoked_token": RevokedTokenError,
    "fresh_token_required": FreshTokenRequiredError,
    "access_denied": AccessDeniedError,
    "csrf_error": CSRFError,
    "blacklist_unavailable": BlacklistUnavailableError,
}
