"""Every error as JSON `{"msg": "<sentence>"}`, and never a 500 for what a client sends."""

import logging
from typing import Any

from sanic import HTTPResponse, Request, Sanic
from sanic.exceptions import SanicException
from sanic.response import json
from tortoise.exceptions import DBConnectionError, IntegrityError, OperationalError

logger = logging.getLogger(__name__)


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
    return json(body, status=exception.status_code, headers=exception.headers)


def _conflict(request: Request, exception: IntegrityError) -> HTTPResponse:
    """A unique constraint caught what a check before it could only have raced with."""
    return json({"msg": "The request conflicts with stored data."}, status=409)


def _database_down(request: Request, exception: Exception) -> HTTPResponse:
    logger.error("Database error: %s", exception)
    return json({"msg": "The database is unavailable."}, status=503)


def _unexpected(request: Request, exception: Exception) -> HTTPResponse:
    logger.exception("Unhandled error on %s %s", request.method, request.path)
    return json({"msg": "Internal server error."}, status=500)


def register_error_handlers(app: Sanic[Any, Any]) -> None:
    """Sanic picks the handler of the most specific class, so the extension's stay in force."""
    app.error_handler.add(SanicException, _sanic_error)
    app.error_handler.add(IntegrityError, _conflict)
    app.error_handler.add(DBConnectionError, _database_down)
    app.error_handler.add(OperationalError, _database_down)
    app.error_handler.add(Exception, _unexpected)
