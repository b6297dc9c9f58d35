"""The JWK Set: the public keys other services verify this service's tokens with.

They fetch it (PyJWT's `PyJWKClient`, say), keep it up to `jwks_max_age_seconds`, and
pick a key by the token's `kid`. So a new key is published as verify-only at least that
long before it signs (README: Keys and their rotation); a cache that meets an unknown
`kid` anyway fetches the set again.
"""

from sanic import Blueprint, HTTPResponse, Request

from app.exceptions import NoPublicKeys
from app.schemas import JwkSet
from app.web.context import app_context
from app.web.docs import operation
from app.web.payloads import read_route, respond
from sanic_jwt_extended import TokenManager
from sanic_jwt_extended.exceptions import ConfigurationConflictError

bp = Blueprint("keys")


@read_route(bp, "/.well-known/jwks.json")
@operation(
    "listKeys",
    "Get the public keys",
    "The JWK Set (RFC 7517) of the keys that verify this service's tokens, for other "
    "services to verify them with; only for RS256, ES256 and EdDSA, as a secret (HS*) is "
    "never published.",
    responses={200: (JwkSet, "Every key of the ring, public parameters only.")},
    errors={404: NoPublicKeys.message},
    database=False,
)
async def jwks(request: Request) -> HTTPResponse:
    """The public keys of the ring, for verifying tokens without being able to sign any."""
    try:
        keys = TokenManager.of(request.app).jwks()
    except ConfigurationConflictError:  # an HS* ring: its keys are secrets
        raise NoPublicKeys from None
    max_age = app_context(request).settings.jwks_max_age_seconds
    return respond(
        JwkSet.model_validate(keys), headers={"Cache-Control": f"public, max-age={max_age}"}
    )
