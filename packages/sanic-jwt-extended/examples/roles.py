"""Roles: the token carries one in its `role` claim; views allow or deny roles."""

import os

from sanic import Request, Sanic
from sanic.response import HTTPResponse, json

from sanic_jwt_extended import JWT, jwt_required
from sanic_jwt_extended.tokens import Token

app = Sanic("roles_example")

with JWT.initialize(app) as manager:
    manager.config.secret_key = os.environ.get("SECRET_KEY", "change-me-to-32-random-bytes!!!!")
    manager.config.use_acl = True  # without it, create_access_token refuses a role

ROLES = {"alice": "ADMIN", "bob": "USER", "mallory": "BANNED"}


@app.post("/login/<username>")
async def login(request: Request, username: str) -> HTTPResponse:
    # A real login checks a password; the role comes from the user's record.
    return json({"access_token": JWT.create_access_token(username, role=ROLES[username])})


@app.get("/reports")
@jwt_required(allow=["ADMIN"])
async def reports(request: Request, token: Token) -> HTTPResponse:
    return json({"reports": [], "seen_by": token.identity})


@app.get("/forum")
@jwt_required(deny=["BANNED"])
async def forum(request: Request, token: Token) -> HTTPResponse:
    return json({"role": token.role})


if __name__ == "__main__":
    app.run(port=8000)
