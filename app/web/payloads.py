"""Reading request bodies and query strings into schemas, and writing responses."""

import json
from collections.abc import Awaitable, Callable, Mapping
from decimal import Decimal
from typing import Any, NoReturn, TypeVar, cast
from urllib.parse import parse_qs

from pydantic import BaseModel, ValidationError
from sanic import Blueprint, HTTPResponse, Request

from app.schemas import Message
from app.web.errors import InvalidRequest, NotJson, UnsupportedMediaType

Schema = TypeVar("Schema", bound=BaseModel)

View = TypeVar("View", bound=Callable[..., Awaitable[HTTPResponse]])


def read_route(blueprint: Blueprint, uri: str) -> Callable[[View], View]:
    """Route GET and HEAD to a read-only view: HEAD answers as GET does, without the body
    (Sanic leaves it out). Typed, as Sanic's own `route` decorator is not."""
    return cast(Callable[[View], View], blueprint.route(uri, methods=["GET", "HEAD"]))


FORM = "application/x-www-form-urlencoded"
NOT_JSON = "The request body is not valid JSON."
JSON_ONLY = "Send the body as JSON, with the header Content-Type: application/json."

# Responses that hold tokens must not be kept by any cache (RFC 6749 section 5.1).
NO_STORE = {"Cache-Control": "no-store", "Pragma": "no-cache"}


def _not_json(constant: str) -> NoReturn:
    """Python's json module accepts NaN and Infinity; JSON does not."""
    raise ValueError(f"{constant} is not JSON")


def parse_body(request: Request, schema: type[Schema]) -> Schema:
    """The body as `schema`: NotJson when it is not JSON, InvalidRequest when it does not fit.

    Numbers with a fraction are read as Decimal, so a price is checked exactly as sent
    rather than after a round trip through binary floating point.
    """
    _require_json_type(request)
    try:
        data = json.loads(request.body, parse_float=Decimal, parse_constant=_not_json)
    except (ValueError, RecursionError):  # also UnicodeDecodeError, and absurd nesting
        raise NotJson(NOT_JSON) from None
    return validate(schema, data)


def _require_json_type(request: Request) -> None:
    """Refuse a body whose Content-Type names another format; a missing one is read as JSON."""
    sent_as = media_type(request)
    if sent_as and sent_as != "application/json" and not sent_as.endswith("+json"):
        raise UnsupportedMediaType(JSON_ONLY)


def media_type(request: Request) -> str:
    """The body's media type as its Content-Type names it, lower case; "" without one."""
    return request.headers.get("content-type", "").partition(";")[0].strip().lower()


def parse_form(request: Request, schema: type[Schema]) -> Schema:
    """The body, a form (application/x-www-form-urlencoded), as `schema`; a field given
    twice arrives as a list, and fails. Bytes that are not UTF-8 are read as U+FFFD, as
    browsers read them."""
    fields = parse_qs(request.body.decode(errors="replace"), keep_blank_values=True)
    return validate(schema, _one_value_each(fields))


def parse_query(request: Request, schema: type[Schema]) -> Schema:
    """The query string as `schema`; a parameter given twice arrives as a list, and fails."""
    return validate(schema, _one_value_each(request.get_args(keep_blank_values=True)))


def _one_value_each(fields: Mapping[str, list[str]]) -> dict[str, str | list[str]]:
    return {key: values[0] if len(values) == 1 else values for key, values in fields.items()}


def validate(schema: type[Schema], data: Any) -> Schema:
    """`data` as `schema`, or InvalidRequest listing each problem and where it is."""
    try:
        return schema.model_validate(data)
    except ValidationError as error:
        raise InvalidRequest(
            [{"loc": list(e["loc"]), "msg": e["msg"]} for e in error.errors()]
        ) from None


def respond(
    body: BaseModel, status: int = 200, headers: dict[str, str] | None = None
) -> HTTPResponse:
    """`body` as JSON, in the shape its schema declares.

    pydantic writes the JSON itself (in Rust), from the model as built: no dict made on
    the way, nothing validated again.
    """
    return HTTPResponse(
        body.model_dump_json(), status=status, headers=headers, content_type="application/json"
    )


def message(text: str, status: int = 200) -> HTTPResponse:
    """The `{"msg": ...}` body that confirmations and errors share."""
    return respond(Message(msg=text), status=status)
