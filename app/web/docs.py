"""The API's OpenAPI document and its page, from the pydantic models that validate requests.

sanic-ext publishes the document at /docs/openapi.json and Swagger UI at /docs. Only its
OpenAPI extension is turned on: its validation would answer 400 where this API answers
422, and its CORS and HTTP extensions would change every answer. Swagger UI's files come
from the swagger-ui-bundle package and are served here, so the page works offline.

Routes describe themselves with `operation(...)`: the request body, the query and each
response are the models of `app.schemas`, their JSON schemas written by pydantic; the
extension adds the security and the token errors of protected routes.
"""

from collections.abc import Awaitable, Callable, Mapping
from importlib.metadata import version
from typing import Any, TypeVar

from pydantic import BaseModel
from pydantic.json_schema import GenerateJsonSchema, JsonSchemaMode, JsonSchemaValue
from pydantic_core import core_schema
from sanic import HTTPResponse, Request, Sanic
from sanic.response import file
from sanic_ext import Extend
from sanic_ext.extensions.openapi import openapi
from sanic_ext.extensions.openapi.builders import SpecificationBuilder
from sanic_ext.extensions.openapi.extension import OpenAPIExtension
from sanic_ext.extensions.openapi.types import Schema, String
from swagger_ui_bundle import swagger_ui_path

from app.schemas import InvalidRequestBody, Message
from app.settings import Settings
from app.web.errors import DATABASE_UNAVAILABLE
from sanic_jwt_extended.openapi import guard_of

View = TypeVar("View", bound=Callable[..., Any])

REF_TEMPLATE = "#/components/schemas/{model}"

# sanic-ext's page loads <OAS_UI_SWAGGER_CDN_URL>/<OAS_UI_SWAGGER_VERSION>/<name>: these
# are the names it asks for, and the bundle's files (minified already) that answer them.
ASSETS_PREFIX, ASSETS_FOLDER = "/docs", "swagger-ui"
# sanic-ext's route for Swagger UI's OAuth2 redirect page (its OAS_UI_SWAGGER_OAUTH2_REDIRECT).
OAUTH2_REDIRECT = f"{ASSETS_PREFIX}/oauth2-redirect.html"
ASSETS = {
    "swagger-ui.min.css": "swagger-ui.css",
    "swagger-ui-bundle.min.js": "swagger-ui-bundle.js",
    "swagger-ui-standalone-preset.min.js": "swagger-ui-standalone-preset.js",
}

DESCRIPTION = (
    "Stores and their items. Log in with POST /login, then press Authorize and paste the "
    "access token under access_token (the refresh token, with its `Bearer ` prefix, under "
    "refresh_token)."
)


def enable_docs(app: Sanic[Any, Any], settings: Settings) -> None:
    """Publish the document and its page, unless the `docs` setting is off."""
    if not settings.docs:
        return
    Extend(
        app,
        extensions=[OpenAPIExtension],
        built_in_extensions=False,
        config={
            "OAS_UI_DEFAULT": "swagger",
            "OAS_UI_REDOC": False,  # Redoc's script only exists on a CDN
            "OAS_UI_SWAGGER_CDN_URL": ASSETS_PREFIX,
            "OAS_UI_SWAGGER_VERSION": ASSETS_FOLDER,
            "OAS_UI_SWAGGER_HTML_TITLE": "Stores API",
            "SWAGGER_UI_CONFIGURATION": {"docExpansion": "list", "tryItOutEnabled": True},
            "API_TITLE": "Stores API",
            "API_VERSION": version("stores-api"),
            "API_DESCRIPTION": DESCRIPTION,
        },
    )
    for number, (name, bundled) in enumerate(ASSETS.items()):
        app.add_route(
            openapi.exclude()(_asset(bundled)),
            f"{ASSETS_PREFIX}/{ASSETS_FOLDER}/{name}",
            name=f"swagger_ui_asset_{number}",
        )
    app.register_middleware(_local_oauth2_redirect, "request")


async def _local_oauth2_redirect(request: Request) -> HTTPResponse | None:
    """Answer Swagger UI's OAuth2 redirect page from swagger-ui-bundle.

    sanic-ext always routes it, to a handler that downloads the page from a CDN with a
    blocking urlopen on its first call: it would stall the event loop, and it fails (500)
    where there is no network. Answered here, before that handler runs.
    """
    if request.path != OAUTH2_REDIRECT:
        return None
    return await file(swagger_ui_path / "oauth2-redirect.html")


def _asset(bundled: str) -> Callable[[Request], Awaitable[HTTPResponse]]:
    """The view of one of the bundle's files: one route each, so that any other name is
    Sanic's own 404."""

    async def serve(request: Request) -> HTTPResponse:
        return await file(swagger_ui_path / bundled)

    return serve


class OpenAPI30Schema(GenerateJsonSchema):
    """Pydantic writes JSON Schema 2020-12; sanic-ext's document is OpenAPI 3.0.3."""

    def nullable_schema(self, schema: core_schema.NullableSchema) -> JsonSchemaValue:
        """3.0 has no `null` type: a nullable value is marked `nullable`."""
        inner = self.generate_inner(schema["schema"])
        if "$ref" in inner:  # 3.0 ignores the siblings of a $ref
            return {"allOf": [inner], "nullable": True}
        return {**inner, "nullable": True}

    def decimal_schema(self, schema: core_schema.DecimalSchema) -> JsonSchemaValue:
        """A JSON number: the API reads numbers as Decimal, and refuses strings."""
        json_schema = super().decimal_schema(schema)
        if "anyOf" not in json_schema:  # serialization: the string pydantic writes by default
            return json_schema
        number: JsonSchemaValue = json_schema["anyOf"][0]
        places = schema.get("decimal_places")
        if places is not None:
            # Not `multipleOf: 0.01`: validators that divide binary floats (Python's
            # jsonschema among them) would refuse 19.99 and 4.35, which the server takes.
            number["x-decimal-places"] = places
            number["description"] = f"At most {places} decimal places."
        return number


def json_schema(model: type[BaseModel], mode: JsonSchemaMode) -> JsonSchemaValue:
    return model.model_json_schema(
        ref_template=REF_TEMPLATE, schema_generator=OpenAPI30Schema, mode=mode
    )


def component(model: type[BaseModel], mode: JsonSchemaMode) -> dict[str, str]:
    """A reference to `model`'s schema, added (with the models it uses) to the components.

    mode: "validation" for what requests must be, "serialization" for what responses are.
    """
    builder = SpecificationBuilder()
    name = model.__name__
    if not builder.has_component("schemas", name):
        schema = json_schema(model, mode)
        for nested, definition in schema.pop("$defs", {}).items():
            builder.add_component("schemas", nested, definition)
        builder.add_component("schemas", name, schema)
    return {"$ref": REF_TEMPLATE.format(model=name)}


def _json(model: type[BaseModel], mode: JsonSchemaMode = "serialization") -> dict[str, Any]:
    return {"application/json": {"schema": component(model, mode)}}


# The schema of a header value the service takes: no control character but the tab
# (what app.web.request refuses in a head, RFC 9112 section 5.5). sanic-ext's types are
# untyped, hence the one ignore.
HEADER_VALUE = String(pattern=r"^[^\x00-\x08\x0a-\x1f\x7f]*$")  # type: ignore[no-untyped-call]


BLACKLIST_UNAVAILABLE = "The token blacklist cannot be reached."


def operation(
    *,
    body: type[BaseModel] | None = None,
    query: type[BaseModel] | None = None,
    responses: Mapping[int, tuple[type[BaseModel], str]],
    errors: Mapping[int, str] | None = None,
    database: bool = True,
) -> Callable[[View], View]:
    """Document a route: its body and query models, its answers and its errors.

    responses: status -> (model, description) of the successful answers.
    errors: status -> description of the errors particular to the route, each with the
        `{"msg"}` body. Those of a body (400, 413, 415, 422), of a query (422) and of a
        database outage (503, unless `database=False`) are added here; a 503 of the
        route's own (another store it needs) is said after the database's.
    """
    documented_errors = dict(errors or {})
    if body is not None:
        documented_errors |= {
            400: "The body is not JSON.",
            413: "The body is larger than the server accepts.",
            415: "The body was not sent as application/json.",
        }
    if database:
        own = documented_errors.get(503)
        documented_errors[503] = f"{DATABASE_UNAVAILABLE} {own}" if own else DATABASE_UNAVAILABLE

    def decorate(view: View) -> View:
        documented = view
        for status, (model, description) in responses.items():
            documented = openapi.response(status, _json(model), description)(documented)
        errors_of_view = dict(documented_errors)
        if guard_of(view) is not None:
            # The extension documents a 503 of its blacklist only where no 503 is said.
            outage = errors_of_view.get(503)
            errors_of_view[503] = (
                f"{outage} {BLACKLIST_UNAVAILABLE}" if outage else BLACKLIST_UNAVAILABLE
            )
        for status, description in sorted(errors_of_view.items()):
            documented = openapi.response(status, _json(Message), description)(documented)
        if body is not None or query is not None:
            documented = _invalid_request(documented)
        if query is not None:
            documented = _query_parameters(query)(documented)
        if body is not None:
            documented = openapi.body(_json(body, "validation"), required=True)(documented)
        return documented

    return decorate


def _invalid_request(view: View) -> View:
    """The 422 of a request that does not fit its schema (the service answers a malformed
    token 401, as RFC 6750 says: see `rfc6750_errors`)."""
    response: Callable[[View], View] = openapi.response(
        422,
        {"application/json": {"schema": component(InvalidRequestBody, "serialization")}},
        "The request does not fit its schema (`errors` says where).",
    )
    return response(view)


def _query_parameters(model: type[BaseModel]) -> Callable[[View], View]:
    """One query parameter per field of `model`, with its schema."""
    schema = json_schema(model, "validation")
    required = set(schema.get("required", ()))

    def decorate(view: View) -> View:
        for name, field_schema in schema["properties"].items():
            parameter: Callable[[View], View] = openapi.parameter(
                name,
                Schema(**field_schema),  # type: ignore[no-untyped-call]  # sanic-ext's, untyped
                "query",
                required=name in required,
            )
            view = parameter(view)
        return view

    return decorate
