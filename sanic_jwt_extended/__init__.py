"""sanic-jwt-extended: the 1.0 API, on current Sanic and PyJWT 2.

from sanic_jwt_extended import JWT, jwt_required

with JWT.initialize(app) as manager:
    manager.config.secret_key = "..."

The modules, bottom-up; each imports only modules listed before it, for typing too
(tests/jwt/test_layers.py holds the import graph to this list):

    clock        CLOCK: the moment the extension takes as now, moved only by tests
    protocols    TokenFacts: what blacklists, revocation and errors need from a token
    exceptions   the errors the extension raises
    readonly     ReadOnlyAfterInit: options settable only inside JWT.initialize
    claims       how private and public claims are named inside a token, both ways
    blacklist    Cutoff, BlacklistABC, InMemoryBlacklist, RedisBlacklist: where revocations live
    config       Config: the options, their defaults and their checks
    keys         KeyRing: the signing and verification keys, parsed once
    verification Verifier: a raw token checked once and remembered, its times every time
    handlers     the error table: name, exception, status, message; Handlers
    revocation   Revocations: a blacklist and its journal, revoking and asking, failing closed
    state        JWTState: one app's config, handlers, blacklist, keys, verifier; the last app
    tokens       encoding tokens, and Token: a decoded, verified token
    locations    finding the raw token in a request, and the CSRF double-submit check
    guard        Guard: a request's token found, verified and checked, in one place
    openapi      the protected routes in sanic-ext's OpenAPI specification, when present
    decorators   jwt_required, jwt_optional, refresh_jwt_required, verify_jwt_in_request
    jwt_manager  JWT and TokenManager: initialising an app, creating and revoking tokens
    users        inject_user, load_user: the user a token stands for, from config.user_loader
    cookies      set_access_cookies, set_refresh_cookies, unset_jwt_cookies
    testing      tokens, headers and cookies for tests without a login; a movable clock
"""

from .decorators import jwt_optional, jwt_required, refresh_jwt_required, verify_jwt_in_request
from .jwt_manager import JWT, TokenManager

__all__ = [
    "JWT",
    "TokenManager",
    "jwt_optional",
    "jwt_required",
    "refresh_jwt_required",
    "verify_jwt_in_request",
]
