"""Reading request bodies and query strings into schemas, and writing responses."""

import json
from decimal import Decimal
from typing import Any, NoReturn, TypeVar

from pydantic import BaseModel, ValidationError
from sanic import HTTPResponse, Request
from sanic.exceptions import BadRequest
from sanic.response import json as json_response

from app.errors import InvalidRequest

Schema = TypeVar("Schema", bound=BaseModel)


def _not_json(constant: str) -> NoReturn:
    """Python's json module accepts NaN and Infinity; JSON does not."""
    raise ValueError(f"{constant} is not JSON")


def parse_body(request: Request, schema: type[Schema]) -> Schema:
    """The body as `schema`: 400 when it is not JSON, 422 when it does not fit.

    Numbers with a fraction are read as Decimal, so a price is checked exactly as sent
    rather than after a round trip through binary floating point.
    """
    try:
        data = json.loads(request.body, parse_float=Decimal, parse_constant=_not_json)
    except (ValueError, RecursionError):  # also UnicodeDecodeError, and absurd nesting
        raise BadRequest("The request body is not valid JSON.") from None
    return validate(schema, data)


def parse_query(request: Request, schema: type[Schema]) -> Schema:
    """The query string as `schema`; a parameter given twice arrives as a list, and fails."""
    args = request.get_args(keep_blank_values=True)
    return validate(schema, {key: v[0] if len(v) == 1 else v for key, v in args.items()})


def validate(schema: type[Schema], data: Any) -> Schema:
    """`data` as `schema`, or InvalidRequest (422) listing each problem and where it is."""
    try:
        return schema.model_validate(data)
    except ValidationError as error:
        raise InvalidRequest(
            [{"loc": list(e["loc"]), "msg": e["msg"]} for e in error.errors()]
        ) from None


def respond(body: BaseModel, status: int = 200) -> HTTPResponse:
    """`body` as JSON, in the shape its schema declares."""
    return json_response(body.model_dump(mode="json"), status=status)


def message(text: str, status: int = 200) -> HTTPResponse:
    """The `{"msg": ...}` body that confirmations and errors share."""
    return json_response({"msg": text}, status=status)
