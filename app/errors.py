"""Every error as JSON `{"msg": "<sentence>"}`, and never a 500 for what a client sends."""

import logging
import sqlite3
from typing import Any

from asyncpg.exceptions import (
    InterfaceError,
    OperatorInterventionError,
    PostgresConnectionError,
    TooManyConnectionsError,
)
from sanic import HTTPResponse, Request, Sanic
from sanic.exceptions import PayloadTooLarge, SanicException
from sanic.response import BaseHTTPResponse
from sanic.response import json as json_response
from tortoise.exceptions import DBConnectionError, IntegrityError, OperationalError

logger = logging.getLogger(__name__)

# Sanic raises PayloadTooLarge with this message when a request's head outgrows
# REQUEST_MAX_HEADER_SIZE (8 KiB), and with another when the body outgrows REQUEST_MAX_SIZE.
SANIC_HEADER_TOO_LARGE = "Request header exceeds the size limit"

DATABASE_UNAVAILABLE = "The database is unavailable."
# How long a client should wait before trying again while the database is down.
RETRY_AFTER_SECONDS = 5

# What a database that is down, locked, full or unreadable raises. tortoise wraps only
# some driver errors (SQLite's OperationalError); a refused or reset PostgreSQL
# connection reaches us as asyncpg's or the socket's own exception: an OSError, whether
# refused, reset, timed out, or a host name that does not resolve (a plain OSError when
# it resolves to several addresses, none answering). Nothing else a route does raises
# one: Redis's failures are the blacklist's 503.
DATABASE_FAILURES: tuple[type[Exception], ...] = (
    DBConnectionError,
    OperationalError,
    sqlite3.DatabaseError,
    PostgresConnectionError,
    OperatorInterventionError,
    TooManyConnectionsError,
    InterfaceError,
    OSError,
)


class InvalidRequest(SanicException):
    """A body or query that does not match its schema: 422 with the details per field."""

    status_code = 422
    quiet = True

    def __init__(self, errors: list[dict[str, Any]]) -> None:
        super().__init__("The request is invalid.")
        self.errors = errors


def sentence(text: str) -> str:
    """Sanic's own messages ("Requested URL /x not found") end without a full stop."""
    text = text.strip()
    return text if text.endswith((".", "!", "?")) else f"{text}."


def _sanic_error(request: Request, exception: SanicException) -> HTTPResponse:
    body: dict[str, Any] = {"msg": sentence(str(exception))}
    if isinstance(exception, InvalidRequest):
        body["errors"] = exception.errors
    return json_response(body, status=exception.status_code, headers=exception.headers)


def _too_large(request: Request, exception: PayloadTooLarge) -> HTTPResponse:
    """RFC 6585 answers an oversized request head 431; Sanic answers 413 for both limits."""
    message = str(exception)
    status = 431 if message == SANIC_HEADER_TOO_LARGE else exception.status_code
    return json_response({"msg": sentence(message)}, status=status)


def _conflict(request: Request, exception: IntegrityError) -> HTTPResponse:
    """A unique constraint caught what a check before it could only have raced with."""
    return json_response({"msg": "The request conflicts with stored data."}, status=409)


def _database_down(request: Request, exception: Exception) -> HTTPResponse:
    logger.error("Database unavailable on %s %s: %r", request.method, request.path, exception)
    return json_response(
        {"msg": DATABASE_UNAVAILABLE},
        status=503,
        headers={"Retry-After": str(RETRY_AFTER_SECONDS)},
    )


def _unexpected(request: Request, exception: Exception) -> HTTPResponse:
    logger.exception("Unhandled error on %s %s", request.method, request.path)
    return json_response({"msg": "Internal server error."}, status=500)


async def _no_sniffing(request: Request, response: BaseHTTPResponse) -> None:
    """Browsers must not guess another type than the JSON every answer declares."""
    response.headers["X-Content-Type-Options"] = "nosniff"


def register_error_handlers(app: Sanic[Any, Any]) -> None:
    """Sanic picks the handler of the most specific class, so the extension's stay in force."""
    app.error_handler.add(SanicException, _sanic_error)
    app.error_handler.add(PayloadTooLarge, _too_large)
    app.error_handler.add(IntegrityError, _conflict)
    for failure in DATABASE_FAILURES:
        app.error_handler.add(failure, _database_down)
    app.error_handler.add(Exception, _unexpected)
    app.register_middleware(_no_sniffing, "response")
