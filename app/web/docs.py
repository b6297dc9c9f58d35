"""The API's OpenAPI document and its pages, from the pydantic models that validate requests.

sanic-ext publishes the document at /docs/openapi.json and Swagger UI at /docs; ReDoc is
served here at /redoc. Only sanic-ext's OpenAPI part is turned on for them: its
validation would answer 400 where this API answers 422 (app.factory turns on its HTTP
part only for CORS). Swagger UI's files come from the swagger-ui-bundle package and
ReDoc's from mkdocs-redoc-tag, served here, so both pages work offline.

Routes describe themselves with `operation(...)`: a plain-word operationId, a summary
and a description for the API's users (their docstrings are for this code's readers),
the request body, the query and each response as the models of `app.schemas` (whose
JSON schemas pydantic writes, each with its example); the extension adds the security
and the token errors of protected routes. The document lists paths and methods in a
fixed order, the same on every start.
"""

from collections.abc import Awaitable, Callable, Mapping
from importlib.metadata import version
from importlib.resources import files
from importlib.resources.abc import Traversable
from typing import Any, TypeVar

from pydantic import BaseModel
from pydantic.json_schema import GenerateJsonSchema, JsonSchemaMode, JsonSchemaValue
from pydantic_core import core_schema
from sanic import HTTPResponse, Request, Sanic
from sanic.response import file, html
from sanic_ext.config import PRIORITY
from sanic_ext.extensions.openapi import openapi
from sanic_ext.extensions.openapi.builders import OperationBuilder, SpecificationBuilder
from sanic_ext.extensions.openapi.types import Schema, String
from swagger_ui_bundle import swagger_ui_path

from app.schemas import InvalidRequestBody, Message
from app.web.errors import DATABASE_UNAVAILABLE
from app.web.payloads import FORM, JSON_ONLY, NOT_JSON
from sanic_jwt_extended.openapi import guard_of

View = TypeVar("View", bound=Callable[..., Any])

REF_TEMPLATE = "#/components/schemas/{model}"
TITLE = "Stores API"

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

# ReDoc's page, and its script as the mkdocs-redoc-tag package ships it (ReDoc 2, MIT).
REDOC_PATH = "/redoc"
REDOC_SCRIPT = f"{ASSETS_PREFIX}/redoc/redoc.standalone.js"
REDOC_PACKAGE, REDOC_BUNDLE = "mkdocs_redoc_tag", "redoc/javascripts/redoc.standalone.js"
REDOC_PAGE = f"""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{TITLE}</title>
<style>body {{ margin: 0; }}</style>
</head>
<body>
<redoc spec-url="{ASSETS_PREFIX}/openapi.json"></redoc>
<script src="{REDOC_SCRIPT}"></script>
</body>
</html>
"""

# The security scheme of Swagger UI's Authorize with a username and password: OAuth2's
# password grant, whose token URL is the login (which takes its form body).
OAUTH2_SCHEME = "oauth2"
OAUTH2_PASSWORD_FLOW = {
    "type": "oauth2",
    "description": "Log in with a username and password: the page sends them to POST /login "
    "as OAuth2's password grant, and its requests carry the access token it answers.",
    "flows": {"password": {"tokenUrl": "/login", "scopes": {}}},
}
# The extension's scheme of access tokens, which OAuth2's logs in to.
ACCESS_TOKEN_SCHEME = "access_token"

DESCRIPTION = (
    "Stores and their items. Register with POST /register, then press **Authorize** and log "
    "in under `oauth2` with your username and password. Or log in with POST /login and "
    "paste the access token under `access_token` (and, for POST /refresh, the refresh "
    "token with its `Bearer ` prefix under `refresh_token`). Every error answers "
    '`{"msg": "<sentence>"}`.'
)

# The sections of the page, in the order they are shown: one per blueprint.
TAGS = {
    "auth": "Accounts and sessions: register, log in, refresh, log out, change a password.",
    "stores": "Stores: anyone browses them, users open them, admins close them.",
    "items": "The items of the stores: users add and edit them, admins delete them.",
    "users": "User administration, for admins.",
    "sessions": "The sessions (logins) of a user: list them, end one.",
    "health": "Whether the service and what it depends on answer.",
    "keys": "The public keys that verify this service's tokens.",
}
# The order of a path's operations in the document.
METHOD_ORDER = {"get": 0, "post": 1, "put": 2, "patch": 3, "delete": 4}


def docs_config() -> dict[str, Any]:
    """sanic-ext's configuration of the document and its Swagger UI page."""
    return {
        "OAS_UI_DEFAULT": "swagger",
        "OAS_UI_REDOC": False,  # its page loads fonts and the script from CDNs: see REDOC_PAGE
        "OAS_UI_SWAGGER_CDN_URL": ASSETS_PREFIX,
        "OAS_UI_SWAGGER_VERSION": ASSETS_FOLDER,
        "OAS_UI_SWAGGER_HTML_TITLE": TITLE,
        "SWAGGER_UI_CONFIGURATION": {"docExpansion": "list", "tryItOutEnabled": True},
        "API_TITLE": TITLE,
        "API_VERSION": version("stores-api"),
        "API_DESCRIPTION": DESCRIPTION,
    }


def serve_docs(app: Sanic[Any, Any]) -> None:
    """Serve the pages' files, ReDoc's page, and the document in its fixed order; `app`
    is extended with sanic-ext's OpenAPI part already."""
    pages = {
        f"{ASSETS_PREFIX}/{ASSETS_FOLDER}/{name}": _asset(swagger_ui_path / bundled)
        for name, bundled in ASSETS.items()
    }
    # Looked up only with the docs on: a service without them needs no page's files.
    pages[REDOC_SCRIPT] = _asset(files(REDOC_PACKAGE).joinpath(REDOC_BUNDLE))
    pages[REDOC_PATH] = _redoc_page
    for number, (uri, view) in enumerate(pages.items()):
        app.add_route(openapi.exclude()(view), uri, name=f"docs_page_{number}")
    app.register_middleware(_local_oauth2_redirect, "request")
    specification = SpecificationBuilder()
    specification.add_component("securitySchemes", OAUTH2_SCHEME, OAUTH2_PASSWORD_FLOW)
    for name, description in TAGS.items():
        specification.tag(name, description)
    # After sanic-ext's build_spec (at PRIORITY), which lists the paths anew at each start.
    app.register_listener(_in_reading_order, "before_server_start", priority=PRIORITY - 1)


# ReDoc's page takes nothing from another host: its side menu's badge would load a logo
# from Redocly's CDN (a failed request offline, and a call home online). Its styles are
# inline; its search runs in a worker made from a blob.
REDOC_POLICY = (
    "default-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
    "worker-src 'self' blob:"
)


async def _redoc_page(request: Request) -> HTTPResponse:
    return html(REDOC_PAGE, headers={"Content-Security-Policy": REDOC_POLICY})


async def _local_oauth2_redirect(request: Request) -> HTTPResponse | None:
    """Answer Swagger UI's OAuth2 redirect page from swagger-ui-bundle.

    sanic-ext always routes it, to a handler that downloads the page from a CDN with a
    blocking urlopen on its first call: it would stall the event loop, and it fails (500)
    where there is no network. Answered here, before that handler runs.
    """
    if request.path != OAUTH2_REDIRECT:
        return None
    return await file(swagger_ui_path / "oauth2-redirect.html")


def _asset(path: Traversable) -> Callable[[Request], Awaitable[HTTPResponse]]:
    """The view of one of the packages' files: one route each, so that any other name is
    Sanic's own 404."""

    async def serve(request: Request) -> HTTPResponse:
        return await file(str(path))

    return serve


def _in_reading_order(app: Sanic[Any, Any]) -> None:
    """Order the document the same way on every start: paths by name, a path's methods
    as METHOD_ORDER, responses by status (sanic-ext lists them as Sanic's router holds
    them, which changes between starts); and let OAuth2's login stand for an access token.
    """
    paths = SpecificationBuilder()._paths
    ordered = sorted(paths.items())
    paths.clear()
    for path, operations in ordered:
        paths[path] = dict(sorted(operations.items(), key=lambda item: METHOD_ORDER[item[0]]))
        for operation in operations.values():
            if isinstance(operation, OperationBuilder):
                _order_and_offer_oauth2(operation)


def _order_and_offer_oauth2(operation: OperationBuilder) -> None:
    operation.responses = dict(sorted(operation.responses.items(), key=lambda item: int(item[0])))
    oauth2: dict[str, list[str]] = {OAUTH2_SCHEME: []}
    if {ACCESS_TOKEN_SCHEME: []} in operation.security and oauth2 not in operation.security:
        operation.security.append(oauth2)


class OpenAPI30Schema(GenerateJsonSchema):
    """Pydantic writes JSON Schema 2020-12; sanic-ext's document is OpenAPI 3.0.3."""

    def nullable_schema(self, schema: core_schema.NullableSchema) -> JsonSchemaValue:
        """3.0 has no `null` type: a nullable value is marked `nullable`."""
        inner = self.generate_inner(schema["schema"])
        if "$ref" in inner:  # 3.0 ignores the siblings of a $ref
            return {"allOf": [inner], "nullable": True}
        return {**inner, "nullable": True}

    def literal_schema(self, schema: core_schema.LiteralSchema) -> JsonSchemaValue:
        """3.0 has no `const`: a single value is an enum of one."""
        json_schema = super().literal_schema(schema)
        if "const" in json_schema:
            json_schema["enum"] = [json_schema.pop("const")]
        return json_schema

    def default_schema(self, schema: core_schema.WithDefaultSchema) -> JsonSchemaValue:
        """No `default: null` for a field that cannot be null: one a body may leave out
        (`app.schemas.OMITTED`), which 3.0 validators would find a default of the wrong type."""
        json_schema = super().default_schema(schema)
        if json_schema.get("default", ...) is None and not json_schema.get("nullable"):
            del json_schema["default"]
        return json_schema

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


def _json(
    model: type[BaseModel], mode: JsonSchemaMode = "serialization", **media: Any
) -> dict[str, Any]:
    return {"application/json": {"schema": component(model, mode), **media}}


def _message(text: str) -> dict[str, Any]:
    """The content of a `{"msg"}` answer, with `text` as its example."""
    return _json(Message, example={"msg": text})


# The schema of a header value the service takes: no control character but the tab
# (what app.web.request refuses in a head, RFC 9112 section 5.5). sanic-ext's types are
# untyped, hence the one ignore.
HEADER_VALUE = String(pattern=r"^[^\x00-\x08\x0a-\x1f\x7f]*$")  # type: ignore[no-untyped-call]


BLACKLIST_UNAVAILABLE = "The token blacklist cannot be reached."

# An error a route answers: its `msg`, which says it all; or its `msg` and what it means.
Error = str | tuple[str, str]

BODY_ERRORS: dict[int, Error] = {
    400: (NOT_JSON, "The body is not JSON."),
    # Sanic's own words, made a sentence by app.web.errors.
    413: ("Request body exceeds the size limit.", "The body is larger than the server takes."),
    415: (JSON_ONLY, "The body was not sent as application/json."),
}


def operation(
    name: str,
    summary: str,
    description: str,
    *,
    body: type[BaseModel] | None = None,
    form: type[BaseModel] | None = None,
    query: type[BaseModel] | None = None,
    responses: Mapping[int, tuple[type[BaseModel], str]],
    errors: Mapping[int, Error] | None = None,
    database: bool = True,
) -> Callable[[View], View]:
    """Document a route for the API's users: its operationId `name`, `summary` and
    `description` (the docstring is left to the code's readers), its body, query, answers
    and errors.

    body: the JSON body's model; form: another model the body may be sent as, a form.
    responses: status -> (model, description) of the successful answers; a `Message`'s
        description is the sentence it answers.
    errors: status -> the errors particular to the route, each with the `{"msg"}` body.
        Those of a body (400, 413, 415, 422), of a query (422) and of a database outage
        (503, unless `database=False`) are added here; a 503 of the route's own (another
        store it needs) is said after the database's.
    """
    documented_errors = {status: _said(error) for status, error in (errors or {}).items()}
    if body is not None:
        documented_errors |= {status: _said(error) for status, error in BODY_ERRORS.items()}
    if database:
        documented_errors[503] = _after(DATABASE_UNAVAILABLE, documented_errors.get(503))

    def decorate(view: View) -> View:
        documented = view
        for status, (model, text) in responses.items():
            content = _message(text) if model is Message else _json(model)
            documented = openapi.response(status, content, text)(documented)
        errors_of_view = dict(documented_errors)
        if guard_of(view) is not None:
            # The extension documents a 503 of its blacklist only where no 503 is said.
            msg, meaning = errors_of_view.get(503, (BLACKLIST_UNAVAILABLE, ""))
            errors_of_view[503] = (msg, f"{meaning} {BLACKLIST_UNAVAILABLE}".lstrip())
        for status, (msg, meaning) in sorted(errors_of_view.items()):
            documented = openapi.response(status, _message(msg), meaning)(documented)
        if body is not None or query is not None:
            documented = _invalid_request(documented)
        if query is not None:
            documented = _query_parameters(query)(documented)
        describe: list[Callable[[View], View]] = [
            openapi.operation(name),
            openapi.summary(summary),
            openapi.description(description),
            openapi.no_autodoc(),
        ]
        for document in describe:
            documented = document(documented)
        if body is not None:
            content = _json(body, "validation")
            if form is not None:
                content[FORM] = {"schema": component(form, "validation")}
            documented = openapi.body(content, required=True)(documented)
        return documented

    return decorate


def _said(error: Error) -> tuple[str, str]:
    """An error's `msg` and its description."""
    return (error, error) if isinstance(error, str) else error


def _after(first: str, then: tuple[str, str] | None) -> tuple[str, str]:
    """The error `first`, or else `then`: `first`'s message, both descriptions."""
    return (first, first) if then is None else (first, f"{first} {then[1]}")


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
