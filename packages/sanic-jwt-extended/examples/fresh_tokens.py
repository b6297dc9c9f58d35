"""Fresh tokens: sensitive views demand a token straight from a password login.

A login issues a fresh access token; a refresh issues a non-fresh one. A view with
`fresh_required=True` refuses the latter (401 "Fresh token required."): the client asks
for the password again, and logs in.
"""

import os

from sanic import Request, Sanic
from sanic.response import HTTPResponse, json

from sanic_jwt_extended import JWT, jwt_required, refresh_jwt_required
from sanic_jwt_extended.tokens import Token

app = Sanic("fresh_example")

with JWT.initialize(app) as manager:
    manager.config.secret_key = os.environ.get("SECRET_KEY", "change-me-to-32-random-bytes!!!!")


@app.post("/login")
async def login(request: Request) -> HTTPResponse:
    username = (request.json or {}).get("username", "alice")  # check a password here
    return json(
        {
            "access_token": JWT.create_access_token(username, fresh=True),
            "refresh_token": JWT.create_refresh_token(username),
        }
    )


@app.post("/refresh")
@refresh_jwt_required
async def refresh(request: Request, token: Token) -> HTTPResponse:
    return json({"access_token": JWT.create_access_token(token.identity, fresh=False)})


@app.get("/profile")
@jwt_required
async def profile(request: Request, token: Token) -> HTTPResponse:
    return json({"username": token.identity, "fresh": token.fresh})


@app.post("/email")
@jwt_required(fresh_required=True)
async def change_email(request: Request, token: Token) -> HTTPResponse:
    return json({"msg": "E-mail changed."})


if __name__ == "__main__":
    app.run(port=8000)
