"""Asymmetric signing (ES256): this app signs; other services verify with its JWK Set.

Needs the `crypto` extra. A real service loads its private key from a file (PEM,
readable by it alone) and keeps older public keys in `verify_only_keys` while tokens
signed with them are alive; here a key pair is made at start-up.
"""

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from sanic import Request, Sanic
from sanic.response import HTTPResponse, json

from sanic_jwt_extended import JWT, jwt_required
from sanic_jwt_extended.tokens import Token

app = Sanic("asymmetric_example")

_private = ec.generate_private_key(ec.SECP256R1())
PRIVATE_PEM = _private.private_bytes(
    serialization.Encoding.PEM,
    serialization.PrivateFormat.PKCS8,
    serialization.NoEncryption(),
)
PUBLIC_PEM = _private.public_key().public_bytes(
    serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
)

with JWT.initialize(app) as manager:
    manager.config.algorithm = "ES256"
    manager.config.private_key = PRIVATE_PEM
    manager.config.public_key = PUBLIC_PEM
    manager.config.default_iss = "https://auth.example.com"


@app.post("/login/<username>")
async def login(request: Request, username: str) -> HTTPResponse:
    return json({"access_token": JWT.create_access_token(username, fresh=True)})


@app.get("/.well-known/jwks.json")
async def jwks(request: Request) -> HTTPResponse:
    # Other services verify tokens with these keys, chosen by the `kid` of each token.
    return json(JWT.jwks(), headers={"Cache-Control": "public, max-age=300"})


@app.get("/me")
@jwt_required
async def me(request: Request, token: Token) -> HTTPResponse:
    return json({"username": token.identity, "issuer": token.iss})


if __name__ == "__main__":
    app.run(port=8000)
