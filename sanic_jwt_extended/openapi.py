"""The OpenAPI documentation of protected routes, written into sanic-ext's specification.

sanic-ext is optional: nothing here imports it until an app that publishes a
specification (sanic-ext's `OAS` on) is initialised, and without it every function here
does nothing. What each protected route demands is on its view (see `mark`); the
security schemes come from the config when `JWT.initialize` closes, and each route's
operation is completed when its app starts, from that app's config, since a view can be
decorated before or after its app is initialised:

- `security`: the configured locations as alternatives (a cookie with its CSRF header on
  unsafe methods), plus "no token" for `jwt_optional`;
- `responses`: the statuses of the error table (`handlers.ERRORS`) the route can answer,
  each with the `{"msg": string}` body; a status the app documented itself is kept;
- `description`: the roles of `allow` or `deny`, after the docstring's description.

sanic-ext keeps one specification per process: with several apps in one process, the
schemes are those of every app initialised, and each route is described as its app
started last.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Iterator
from functools import cache
from types import ModuleType
from typing import TYPE_CHECKING, Any

from sanic import Sanic

from .exceptions import JWTExtendedException
from .guard import Guard
from .handlers import ERRORS, ErrorKind
from .state import JWTState, state_of

if TYPE_CHECKING:
    from .config import TokenKind

# The attribute a protected view carries its guard in. `functools.wraps` copies it onto
# any decorator applied above ours (sanic-ext's `openapi.body` among them), so the route's
# handler is found protected however many wrappers lie between.
_GUARD_ATTRIBUTE = "__sanic_jwt_extended_guard__"
# Set on app.ctx once its routes are documented at each start.
_LISTENING = "sanic_jwt_extended_openapi"

ERROR_SCHEMA_NAME = "JWTErrorMessage"
ERROR_SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {"msg": {"type": "string"}},
    "required": ["msg"],
    "example": {"msg": "Token has been revoked."},
}


def mark(view: Callable[..., Any], guard: Guard) -> None:
    """Record on a protected view what its guard demands, for its route's documentation."""
    setattr(view, _GUARD_ATTRIBUTE, guard)


def guard_of(view: Callable[..., Any]) -> Guard | None:
    """The guard of a protected view (or of a wrapper around one); None for another view."""
    guard: Guard | None = getattr(view, _GUARD_ATTRIBUTE, None)
    return guard


def publish(app: Sanic[Any, Any], state: JWTState) -> None:
    """Register `state`'s security schemes, and document `app`'s routes when it starts.

    Called when `JWT.initialize(app)` closes; does nothing unless `app` will publish a
    specification with sanic-ext.
    """
    if not _publishes_specification(app):
        return
    builder = _installed_openapi().builders.SpecificationBuilder()
    builder.add_component("schemas", ERROR_SCHEMA_NAME, ERROR_SCHEMA)
    for name, scheme in security_schemes(state).items():
        builder.add_component("securitySchemes", name, scheme)
    if not getattr(app.ctx, _LISTENING, False):
        setattr(app.ctx, _LISTENING, True)
        app.register_listener(_document_routes, "before_server_start")


def _publishes_specification(app: Sanic[Any, Any]) -> bool:
    """sanic-ext is installed, and extends `app` (now or when it starts) with OAS on."""
    if not getattr(app.config, "OAS", True) or _openapi() is None:
        return False
    return hasattr(app, "_ext") or bool(app.config.AUTO_EXTEND)


@cache
def _openapi() -> ModuleType | None:
    """sanic-ext's OpenAPI package, imported on first use; None when not installed."""
    try:
        import sanic_ext.extensions.openapi.autodoc
        import sanic_ext.extensions.openapi.builders
    except ImportError:
        return None
    return sanic_ext.extensions.openapi


def _installed_openapi() -> Any:
    """sanic-ext's OpenAPI package, where `_publishes_specification` found it installed."""
    package = _openapi()
    assert package is not None
    return package


# --------------------------------------------------------------------------- schemes


def security_schemes(state: JWTState) -> dict[str, dict[str, Any]]:
    """The OpenAPI security schemes of the configured token locations, by name."""
    schemes: dict[str, dict[str, Any]] = {}
    for location in state.locations:
        for kind in state.kinds.values():
            if location == "header":
                schemes[kind.scheme] = _header_scheme(kind)
            elif location == "cookies":
                schemes[f"{kind.scheme}_cookie"] = _api_key("cookie", kind.cookie, kind.type)
                if state.uses_csrf:
                    schemes[_csrf_scheme_name(kind)] = _csrf_scheme(kind)
        if location == "query":
            schemes["token_query"] = _api_key(
                "query", state.config.jwt_query_param_name, "An access or refresh token"
            )
    return schemes


def _csrf_scheme_name(kind: TokenKind) -> str:
    return "csrf_token" if kind.type == "access" else f"{kind.type}_csrf_token"


def _header_scheme(kind: TokenKind) -> dict[str, Any]:
    """HTTP bearer where the header is the standard one, else an API key with its prefix."""
    if kind.header.casefold() == "authorization" and kind.header_prefix.casefold() == "bearer":
        return {
            "type": "http",
            "scheme": "bearer",
            "bearerFormat": "JWT",
            "description": f"The {kind.type} token from a login.",
        }
    return _api_key("header", kind.header, _prefixed(kind.type, kind.header_prefix))


def _prefixed(token_type: str, prefix: str) -> str:
    if not prefix:
        return token_type
    return f"{token_type} (the value is `{prefix} <token>`, prefix included)"


def _api_key(where: str, name: str, what: str) -> dict[str, Any]:
    description = what if " " in what else f"The {what} token."
    return {"type": "apiKey", "in": where, "name": name, "description": description}


def _csrf_scheme(kind: TokenKind) -> dict[str, Any]:
    description = f"The `csrf` claim of the {kind.type} token cookie, on unsafe methods."
    return {"type": "apiKey", "in": "header", "name": kind.csrf_header, "description": description}


# --------------------------------------------------------------------------- operations


async def _document_routes(app: Sanic[Any, Any]) -> None:
    """Complete the operation of each protected route of `app`, from its config."""
    if not hasattr(app, "_ext") or not getattr(app.config, "OAS", False):
        return
    store = _installed_openapi().builders.OperationStore()
    state = state_of(app)
    for method, handler in _route_handlers(app):
        guard = guard_of(handler)
        if guard is not None:
            document_operation(store[handler], handler, method, guard, state)


def _route_handlers(app: Sanic[Any, Any]) -> Iterator[tuple[str, Callable[..., Any]]]:
    """Each route's method and the function answering it, as sanic-ext looks them up."""
    for route in app.router.routes:
        view_class = getattr(route.handler, "view_class", None)
        for method in route.methods:
            if view_class is None:
                yield method, route.handler
            elif (handler := getattr(view_class, method.lower(), None)) is not None:
                yield method, handler


def document_operation(
    operation: Any, handler: Callable[..., Any], method: str, guard: Guard, state: JWTState
) -> None:
    """Write onto sanic-ext's OperationBuilder what `guard` demands and may answer."""
    operation.security = security_requirements(guard, method, state)
    for status, kinds in sorted(errors_answered(guard, method, state).items()):
        # sanic-ext keys its responses by the status as given: the int, or its string.
        if status not in operation.responses and str(status) not in operation.responses:
            operation.responses[status] = _error_response(kinds)
    roles = roles_sentence(guard)
    if roles:
        _add_to_description(operation, handler, roles)


def security_requirements(guard: Guard, method: str, state: JWTState) -> list[dict[str, list[str]]]:
    """The alternatives that satisfy `guard`: one per location, "none" when optional."""
    kind = state.kinds[guard.token_type]
    csrf = state.uses_csrf and method in state.config.csrf_request_methods
    requirements: list[dict[str, list[str]]] = []
    for location in state.locations:
        if location == "header":
            requirements.append({kind.scheme: []})
        elif location == "cookies":
            requirement: dict[str, list[str]] = {f"{kind.scheme}_cookie": []}
            if csrf:
                requirement[_csrf_scheme_name(kind)] = []
            requirements.append(requirement)
        else:
            requirements.append({"token_query": []})
    if guard.optional:
        requirements.append({})
    return requirements


def errors_answered(guard: Guard, method: str, state: JWTState) -> dict[int, list[ErrorKind]]:
    """The rows of the error table a `method` request under `guard` can meet, by status."""
    # A rotation raises refresh_token_reused, not a guard: the rotating route says so.
    excluded: set[str] = {"refresh_token_reused"}
    if guard.optional:
        excluded.add("no_authorization")
    if not guard.fresh_required:
        excluded.add("fresh_token_required")
    if guard.allow is None and guard.deny is None:
        excluded.add("access_denied")
    if not (state.uses_csrf and method in state.config.csrf_request_methods):
        excluded.add("csrf_error")
    if not state.config.use_blacklist:
        excluded.update(("revoked_token", "blacklist_unavailable"))
    rfc6750 = state.config.rfc6750_errors
    by_status: dict[int, list[ErrorKind]] = {}
    for kind in ERRORS:
        if kind.name not in excluded:
            by_status.setdefault(kind.status_for(rfc6750), []).append(kind)
    return by_status


def _error_response(kinds: list[ErrorKind]) -> dict[str, Any]:
    return {
        "description": " ".join(_describe(kind) for kind in kinds),
        "content": {
            "application/json": {"schema": {"$ref": f"#/components/schemas/{ERROR_SCHEMA_NAME}"}}
        },
    }


def _describe(kind: ErrorKind) -> str:
    """The row's default message, else the first line of our exception's docstring.

    PyJWT's exceptions (InvalidTokenError) are documented for its own users: those rows
    are named instead.
    """
    exception = kind.exception
    ours = exception.__module__ == JWTExtendedException.__module__
    text = kind.message or (
        (inspect.getdoc(exception) or "").splitlines()[0]
        if ours
        else kind.name.replace("_", " ").capitalize()
    )
    return text if text.endswith(".") else f"{text}."


def roles_sentence(guard: Guard) -> str:
    """What the route says about roles, from `allow` or `deny`; "" when it has neither."""
    if guard.allow is not None:
        return f"Roles allowed: {', '.join(sorted(guard.allow)) or 'none'}."
    if guard.deny is not None:
        return f"Roles refused: {', '.join(sorted(guard.deny)) or 'none'}."
    return ""


def _add_to_description(operation: Any, handler: Callable[..., Any], sentence: str) -> None:
    """Append `sentence` to the description the route has or its docstring gives, once.

    A description set here wins over the one sanic-ext reads from the docstring, so that
    one is read here the same way and kept in front.
    """
    description: str = getattr(operation, "description", "") or _docstring_description(handler)
    if sentence not in description:
        operation.description = f"{description}\n\n{sentence}" if description else sentence


def _docstring_description(handler: Callable[..., Any]) -> str:
    parser = _installed_openapi().autodoc.YamlStyleParametersParser
    parsed: dict[str, Any] = parser(inspect.getdoc(handler) or "").to_openAPI_3()
    return str(parsed.get("description", ""))
