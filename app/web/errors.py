"""Every error as JSON `{"msg": "<sentence>"}`, and never a 500 for what a client sends.

One table, shaped like the extension's (sanic_jwt_extended.handlers), says how each error
the service raises is answered: its domain errors (app.exceptions), the request errors
below, the extension's errors it words its own way, and the database's conflicts and
outages. The handlers registered on an app are derived from it, so no other module sets
a status. Sanic's own errors (no such route, a method not allowed, a body too large) keep
the status Sanic gives them, and anything unforeseen is a 500.
"""

import logging
import sqlite3
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from asyncpg.exceptions import (
    InsufficientResourcesError,
    InterfaceError,
    InvalidAuthorizationSpecificationError,
    InvalidCatalogNameError,
    ObjectNotInPrerequisiteStateError,
    OperatorInterventionError,
    PostgresConnectionError,
)
from sanic import HTTPResponse, Request, Sanic
from sanic.constants import HTTP_METHODS
from sanic.exceptions import BadURL, MethodNotAllowed, PayloadTooLarge, SanicException
from sanic.exceptions import NotFound as NoRoute
from sanic.response import json as json_response
from tortoise.exceptions import DBConnectionError, IntegrityError, OperationalError

from app.exceptions import (
    AccountChanged,
    ForeignRefreshToken,
    ForeignToken,
    InvalidCredentials,
    LastAdmin,
    LoginThrottled,
    NameTaken,
    NoPublicKeys,
    NotFound,
    ThrottleUnavailable,
    UserGone,
    WrongPassword,
)
from sanic_jwt_extended.exceptions import AccessDeniedError, JWTExtendedException
from sanic_jwt_extended.handlers import Handlers, bearer_challenge

logger = logging.getLogger(__name__)

ErrorHandler = Callable[[Request, Exception], HTTPResponse]

# Sanic raises PayloadTooLarge with this message when a request's head outgrows
# REQUEST_MAX_HEADER_SIZE (8 KiB), and with another when the body outgrows REQUEST_MAX_SIZE.
SANIC_HEADER_TOO_LARGE = "Request header exceeds the size limit"

ADMIN_REQUIRED = "Admin privilege required."
DATABASE_UNAVAILABLE = "The database is unavailable."
# How long a client should wait before trying again while the database (or the login
# throttle's Redis) is down.
RETRY_AFTER_SECONDS = 5

# What a database that is down, locked, full or unreadable raises. tortoise wraps only
# some driver errors (SQLite's OperationalError); a refused or reset PostgreSQL
# connection reaches us as asyncpg's or the socket's own exception: an OSError, whether
# refused, reset, timed out, or a host name that does not resolve (a plain OSError when
# it resolves to several addresses, none answering). Nothing else a route does raises
# one: Redis's failures are the blacklist's 503, or the login throttle's. PostgreSQL
# refuses or drops a connection in these SQLSTATE classes: 08 (the connection itself),
# 57 (shutting down, starting up, an administrator's command), 53 (too many connections,
# out of memory or disk), 55000 (a database that takes no connection,
# `ALLOW_CONNECTIONS false`), 3D000 (a database that is gone), 28 (the server refuses
# the credentials).
DATABASE_FAILURES: tuple[type[Exception], ...] = (
    DBConnectionError,
    OperationalError,
    sqlite3.DatabaseError,
    PostgresConnectionError,
    OperatorInterventionError,
    InsufficientResourcesError,
    ObjectNotInPrerequisiteStateError,
    InvalidCatalogNameError,
    InvalidAuthorizationSpecificationError,
    InterfaceError,
    OSError,
)


# What pydantic puts before a validator's own message ("Value error, must be a JSON
# number"): its wording, not ours, and never shown to clients.
PYDANTIC_PREFIXES = ("Value error, ", "Assertion failed, ")


class InvalidRequest(Exception):
    """A body or query that does not match its schema; the answer lists each problem, in
    the validators' words (without pydantic's prefix)."""

    def __init__(self, errors: list[dict[str, Any]]) -> None:
        super().__init__("The request is invalid.")
        self.errors = [{**error, "msg": _unprefixed(error["msg"])} for error in errors]


def _unprefixed(message: str) -> str:
    for prefix in PYDANTIC_PREFIXES:
        message = message.removeprefix(prefix)
    return message


class UnsupportedMediaType(Exception):
    """A body sent as something else than JSON (curl's -d sends a form type)."""


class NotJson(Exception):
    """A body that does not parse as JSON."""


class MalformedHead(Exception):
    """A request head that RFC 9112 says a server must refuse (app.web.request)."""


# Sanic's error for a request target it cannot parse; its message holds the target, query
# string (and a token sent as `?jwt=`) included, so the service answers it in its words.
UnreadableTarget = BadURL


# RFC 6750 3: the challenge of a 401 when no usable credentials came.
BEARER = {"WWW-Authenticate": "Bearer"}


def sentence(text: str) -> str:
    """Sanic's own messages ("Requested URL /x not found") end without a full stop."""
    text = text.strip()
    return text if text.endswith((".", "!", "?")) else f"{text}."


@dataclass(frozen=True)
class ErrorKind:
    """One row of the error table."""

    name: str
    exception: type[Exception]
    status: int
    # None: the exception's own text, made a sentence.
    message: str | None = None
    headers: Mapping[str, str] = field(default_factory=dict)
    # Set for the service's own failures: logged with the request, under this name.
    log: str | None = None

    def handler(self) -> ErrorHandler:
        """The Sanic error handler answering this row's exception."""

        def answer(request: Request, exception: Exception) -> HTTPResponse:
            if self.log is not None:
                logger.error("%s on %s %s: %r", self.log, request.method, request.path, exception)
            body: dict[str, Any] = {"msg": self.message or sentence(str(exception))}
            if isinstance(exception, InvalidRequest):
                body["errors"] = exception.errors
            headers = dict(self.headers)
            if isinstance(exception, LoginThrottled):
                headers["Retry-After"] = str(exception.retry_after)
            return json_response(body, status=self.status, headers=headers)

        return answer


ERRORS: tuple[ErrorKind, ...] = (
    # A request that does not fit what its route reads.
    ErrorKind("not_json", NotJson, 400),
    ErrorKind("malformed_head", MalformedHead, 400),
    ErrorKind("unsupported_media_type", UnsupportedMediaType, 415),
    ErrorKind("invalid_request", InvalidRequest, 422),
    # The service's rules.
    ErrorKind("invalid_credentials", InvalidCredentials, 401, headers=BEARER),
    ErrorKind("user_gone", UserGone, 401, headers=BEARER),
    # A token this service did not issue for one of its users: unusable here (RFC 6750).
    ErrorKind(
        "foreign_token",
        ForeignToken,
        401,
        headers=bearer_challenge("invalid_token", "The token is not one of this service's."),
    ),
    ErrorKind(
        "foreign_refresh_token",
        ForeignRefreshToken,
        401,
        headers=bearer_challenge("invalid_token", "The refresh token is another user's."),
    ),
    ErrorKind("wrong_password", WrongPassword, 403),
    ErrorKind("not_found", NotFound, 404),
    ErrorKind("no_public_keys", NoPublicKeys, 404),
    ErrorKind("name_taken", NameTaken, 409),
    ErrorKind("last_admin", LastAdmin, 409),
    ErrorKind("account_changed", AccountChanged, 409),
    # Retry-After: the seconds until the throttle's window ends, set from the error.
    ErrorKind("login_throttled", LoginThrottled, 429),
    # Fail closed: a login the throttle cannot count is refused, as an unreachable
    # blacklist refuses tokens (the extension's 503).
    ErrorKind(
        "throttle_unavailable",
        ThrottleUnavailable,
        503,
        headers={"Retry-After": str(RETRY_AFTER_SECONDS)},
        log="Login throttle unavailable",
    ),
    # The extension's, in this service's words: its one role check is for admins. Rows of
    # the extension's errors replace its handlers (see `replace_jwt_handlers`).
    ErrorKind(
        "access_denied",
        AccessDeniedError,
        403,
        ADMIN_REQUIRED,
        bearer_challenge("insufficient_scope", ADMIN_REQUIRED),
    ),
    # The database: a unique constraint caught what a check before it could only have
    # raced with; or it is down.
    ErrorKind("conflict", IntegrityError, 409, "The request conflicts with stored data."),
    *(
        ErrorKind(
            "database_unavailable",
            failure,
            503,
            DATABASE_UNAVAILABLE,
            {"Retry-After": str(RETRY_AFTER_SECONDS)},
            log="Database unavailable",
        )
        for failure in DATABASE_FAILURES
    ),
)


def _is_the_extensions(row: ErrorKind) -> bool:
    return issubclass(row.exception, JWTExtendedException)


def replace_jwt_handlers(handler: Handlers) -> None:
    """Answer the extension's errors of the table through the handlers it lets an app
    replace (`manager.handler` inside `JWT.initialize`), which it registers itself."""
    for row in ERRORS:
        if _is_the_extensions(row):
            setattr(handler, row.name, row.handler())


def _sanic_error(request: Request, exception: SanicException) -> HTTPResponse:
    return json_response(
        {"msg": sentence(str(exception))}, status=exception.status_code, headers=exception.headers
    )


def _method_not_allowed(request: Request, exception: MethodNotAllowed) -> HTTPResponse:
    """405 with the `Allow` that RFC 9110 requires: Sanic's router gives it for static
    paths only, so for the others it is found by asking the router for each method."""
    headers = dict(exception.headers)
    if "Allow" not in headers:
        headers["Allow"] = ", ".join(_allowed_methods(request))
    return json_response({"msg": sentence(str(exception))}, status=405, headers=headers)


def _allowed_methods(request: Request) -> list[str]:
    host = request.headers.getone("host", None)
    allowed = []
    for method in HTTP_METHODS:
        try:
            request.app.router.get(request.path, method, host)
        except (MethodNotAllowed, NoRoute):
            continue
        allowed.append(str(method))
    return allowed


def _too_large(request: Request, exception: PayloadTooLarge) -> HTTPResponse:
    """RFC 6585 answers an oversized request head 431; Sanic answers 413 for both limits."""
    message = str(exception)
    status = 431 if message == SANIC_HEADER_TOO_LARGE else exception.status_code
    return json_response({"msg": sentence(message)}, status=status)


def _unexpected(request: Request, exception: Exception) -> HTTPResponse:
    logger.exception("Unhandled error on %s %s", request.method, request.path)
    return json_response({"msg": "Internal server error."}, status=500)


def register_error_handlers(app: Sanic[Any, Any]) -> None:
    """Sanic picks the handler of the most specific class, so the extension's stay in force."""
    app.error_handler.add(SanicException, _sanic_error)
    app.error_handler.add(MethodNotAllowed, _method_not_allowed)
    app.error_handler.add(PayloadTooLarge, _too_large)
    for row in ERRORS:
        if not _is_the_extensions(row):
            app.error_handler.add(row.exception, row.handler())
    app.error_handler.add(Exception, _unexpected)
