"""The error table, and the JSON responses it gives, replaceable through `JWT.handler`.

One row per failure a protected view can meet: the handler's name, the exception it
answers, its status, its default message and the RFC 6750 challenge of its 401. The
fields of `Handlers` and the exception map registered on each app are both derived from
it, so a new error is one new row.

With the `rfc6750_errors` option, the rows that 1.0 answers 422 (an unusable token) or
403 (a role refused) answer as RFC 6750 3.1 says: `bearer_error` names the error code.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable, Collection
from dataclasses import dataclass
from enum import Enum
from typing import TYPE_CHECKING

from sanic import Request
from sanic.response import HTTPResponse, json

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
    RefreshTokenReusedError,
    RevokedTokenError,
    WrongTokenError,
)
from .readonly import ReadOnlyAfterInit

if TYPE_CHECKING:
    from .config import Config

ErrorHandler = Callable[[Request, Exception], HTTPResponse | Awaitable[HTTPResponse]]

# RFC 6750 3: the characters an error_description may hold (no quote, no backslash).
_DESCRIPTION_CHARACTERS = re.compile(r"[\x20\x21\x23-\x5b\x5d-\x7e]*")
_NOT_DESCRIPTION_CHARACTERS = re.compile(r"[^\x20\x21\x23-\x5b\x5d-\x7e]")

# RFC 6750 3.1's error codes, and the status each goes with.
BEARER_ERROR_STATUSES = {"invalid_request": 401, "invalid_token": 401, "insufficient_scope": 403}


def bearer_challenge(error: str, description: str) -> dict[str, str]:
    """The `WWW-Authenticate` header of RFC 6750 3 for `error`, described in `description`
    (any text: what the header cannot hold is dropped or replaced)."""
    described = _NOT_DESCRIPTION_CHARACTERS.sub("", description.replace('"', "'"))
    return {"WWW-Authenticate": f'Bearer error="{error}", error_description="{described}"'}


class Challenge(Enum):
    """What the `WWW-Authenticate` header of a 401 says (RFC 6750 3)."""

    # Authenticate with a bearer token: no usable credentials came with the request.
    BEARER = "bearer"
    # The token sent cannot be used (expired, revoked, ...): get another one.
    INVALID_TOKEN = "invalid_token"


@dataclass(frozen=True)
class ErrorKind:
    """One row of the error table."""

    name: str
    exception: type[Exception]
    status: int
    # None: the exception's own text, made a sentence.
    message: str | None = None
    challenge: Challenge | None = None
    # The RFC 6750 error code this row answers with under `rfc6750_errors`, when 1.0's
    # status is another than RFC 6750's.
    bearer_error: str | None = None

    def __post_init__(self) -> None:
        # RFC 9110 15.5.2: every 401 carries a challenge; other statuses carry none.
        if (self.status == 401) != (self.challenge is not None):
            raise ValueError(f"{self.name}: a challenge goes with status 401, and only there")
        if self.challenge is Challenge.INVALID_TOKEN and not (
            self.message and _DESCRIPTION_CHARACTERS.fullmatch(self.message)
        ):
            raise ValueError(f"{self.name}: invalid_token needs a plain ASCII default message")

    def status_for(self, rfc6750: bool) -> int:
        """The status of this row's answer, with or without `rfc6750_errors`."""
        if rfc6750 and self.bearer_error is not None:
            return BEARER_ERROR_STATUSES[self.bearer_error]
        return self.status

    def headers(self, message: str, rfc6750: bool) -> dict[str, str]:
        """The `WWW-Authenticate` header of the answer saying `message`, if any."""
        if rfc6750 and self.bearer_error is not None:
            return bearer_challenge(self.bearer_error, message)
        if self.challenge is None:
            return {}
        if self.challenge is Challenge.BEARER:
            return {"WWW-Authenticate": "Bearer"}
        return bearer_challenge("invalid_token", message)

    def default_handler(self, config: Config) -> ErrorHandler:
        """The handler this row installs until `JWT.handler.<name>` is replaced; it reads
        `config` when it answers, as the option may be set after it is installed."""

        def handler(request: Request, exception: Exception) -> HTTPResponse:
            message = self.message or _sentence(str(exception))
            rfc6750 = config.rfc6750_errors
            return json(
                {"msg": message},
                status=self.status_for(rfc6750),
                headers=self.headers(message, rfc6750),
            )

        return handler


def _sentence(text: str) -> str:
    text = text.strip() or "Invalid token"
    return text if text.endswith((".", "!", "?")) else f"{text}."


# The contract's error table. ExpiredSignatureError subclasses InvalidTokenError; Sanic
# looks up the exact class first, so expired tokens still get their own handler.
ERRORS: tuple[ErrorKind, ...] = (
    ErrorKind("no_authorization", NoAuthorizationError, 401, challenge=Challenge.BEARER),
    ErrorKind(
        "expired_signature",
        ExpiredSignatureError,
        401,
        "Token has expired.",
        Challenge.INVALID_TOKEN,
    ),
    ErrorKind("invalid_header", InvalidHeaderError, 422, bearer_error="invalid_request"),
    ErrorKind("invalid_token", InvalidTokenError, 422, bearer_error="invalid_token"),
    ErrorKind("jwt_decode_error", JWTDecodeError, 422, bearer_error="invalid_token"),
    ErrorKind("wrong_token", WrongTokenError, 422, bearer_error="invalid_token"),
    ErrorKind(
        "revoked_token", RevokedTokenError, 401, "Token has been revoked.", Challenge.INVALID_TOKEN
    ),
    # A copy of a spent refresh token is in someone's hands: the session is over for both.
    ErrorKind(
        "refresh_token_reused",
        RefreshTokenReusedError,
        401,
        "Refresh token reuse detected: the session has ended.",
        Challenge.INVALID_TOKEN,
    ),
    # The token is valid but not enough here: the client must log in again, so it is
    # "invalid for other reasons" (RFC 6750 3.1), said in the description.
    ErrorKind(
        "fresh_token_required",
        FreshTokenRequiredError,
        401,
        "Fresh token required.",
        Challenge.INVALID_TOKEN,
    ),
    ErrorKind("access_denied", AccessDeniedError, 403, bearer_error="insufficient_scope"),
    # The token is fine; the request lacks its CSRF header: telling the client to drop
    # the token (invalid_token) would be wrong, so only the scheme is named.
    ErrorKind("csrf_error", CSRFError, 401, challenge=Challenge.BEARER),
    ErrorKind("blacklist_unavailable", BlacklistUnavailableError, 503),
)

_HANDLER_NAMES = frozenset(error.name for error in ERRORS)


class Handlers(ReadOnlyAfterInit):
    """`JWT.handler`: one replaceable error handler per row of `ERRORS`, under its name.

    A handler is a Sanic error handler, `(request, exception) -> HTTPResponse` (or a
    coroutine of one). The defaults answer `{"msg": "<sentence>"}` with the row's status
    and `WWW-Authenticate` header; a replacement answers exactly what it returns.
    """

    def __init__(self, config: Config) -> None:
        for error in ERRORS:
            setattr(self, error.name, error.default_handler(config))

    def _known_names(self) -> Collection[str]:
        return _HANDLER_NAMES

    def __getattr__(self, name: str) -> ErrorHandler:
        # Reached only for names that are not handlers; it also tells type checkers
        # that every handler name holds an ErrorHandler.
        raise AttributeError(f"{type(self).__name__} has no handler {name!r}")
