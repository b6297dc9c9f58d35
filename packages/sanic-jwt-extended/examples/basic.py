"""The smallest useful app: a login that issues tokens, a protected view, a refresh.

Run: SECRET_KEY=... python basic.py, then
    curl -X POST localhost:8000/login -d '{"username": "alice", "password": "wonderland"}'
    curl localhost:8000/me -H "Authorization: Bearer <access_token>"
"""

import os

from sanic import Request, Sanic
from sanic.response import HTTPResponse, json

from sanic_jwt_extended import JWT, jwt_optional, jwt_required, refresh_jwt_required
from sanic_jwt_extended.tokens import Token

app = Sanic("basic_example")

with JWT.initialize(app) as manager:
    manager.config.secret_key = os.environ.get("SECRET_KEY", "change-me-to-32-random-bytes!!!!")

# A stand-in for a user table with hashed passwords.
PASSWORDS = {"alice": "wonderland"}


@app.post("/login")
async def login(request: Request) -> HTTPResponse:
    body = request.json or {}
    username = str(body.get("username", ""))
    if username not in PASSWORDS or PASSWORDS[username] != body.get("password"):
        return json({"msg": "Invalid credentials."}, status=401)
    return json(
        {
            "access_token": JWT.create_access_token(username, fresh=True),
            "refresh_token": JWT.create_refresh_token(username),
        }
    )


@app.get("/me")
@jwt_required
async def me(request: Request, token: Token) -> HTTPResponse:
    return json(
        {"username": token.identity, "expires": token.exp.isoformat() if token.exp else None}
    )


@app.get("/greeting")
@jwt_optional
async def greeting(request: Request, token: Token | None) -> HTTPResponse:
    return json({"msg": f"Hello, {token.identity if token else 'stranger'}!"})


@app.post("/refresh")
@refresh_jwt_required
async def refresh(request: Request, token: Token) -> HTTPResponse:
    # The refresh token is sent as `X-Refresh-Token: Bearer <refresh_token>`.
    return json({"access_token": JWT.create_access_token(token.identity, fresh=False)})


if __name__ == "__main__":
    app.run(port=8000)
