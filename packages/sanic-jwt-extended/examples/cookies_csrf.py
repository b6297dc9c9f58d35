"""Tokens in HttpOnly cookies, for browsers, with the double-submit CSRF check.

Login sets four cookies: the two tokens (HttpOnly) and their CSRF values (readable by
the page's scripts). On POST, PUT, PATCH and DELETE the page copies `csrf_access_token`
into the `X-CSRF-Token` header; a cross-site form cannot, so it is refused (401).
"""

import os

from sanic import Request, Sanic
from sanic.response import HTTPResponse, json

from sanic_jwt_extended import JWT, jwt_required, refresh_jwt_required
from sanic_jwt_extended.cookies import set_access_cookies, set_refresh_cookies, unset_jwt_cookies
from sanic_jwt_extended.tokens import Token

app = Sanic("cookies_example")
# Cookies marked Secure travel over HTTPS only; plain HTTP is for a local try-out.
SECURE = os.environ.get("COOKIES_SECURE", "1") == "1"

with JWT.initialize(app) as manager:
    manager.config.secret_key = os.environ.get("SECRET_KEY", "change-me-to-32-random-bytes!!!!")
    manager.config.token_location = ("cookies",)
    manager.config.refresh_jwt_csrf_header = "X-CSRF-Refresh-Token"


@app.post("/login")
async def login(request: Request) -> HTTPResponse:
    username = (request.json or {}).get("username", "alice")  # check a password here
    response = json({"msg": "Logged in."})
    set_access_cookies(response, JWT.create_access_token(username, fresh=True), secure=SECURE)
    set_refresh_cookies(response, JWT.create_refresh_token(username), secure=SECURE)
    return response


@app.get("/me")
@jwt_required
async def me(request: Request, token: Token) -> HTTPResponse:
    return json({"username": token.identity})  # GET: no CSRF header needed


@app.post("/notes")
@jwt_required
async def add_note(request: Request, token: Token) -> HTTPResponse:
    return json({"saved_for": token.identity}, status=201)


@app.post("/refresh")
@refresh_jwt_required
async def refresh(request: Request, token: Token) -> HTTPResponse:
    response = json({"msg": "Refreshed."})
    set_access_cookies(response, JWT.create_access_token(token.identity), secure=SECURE)
    return response


@app.post("/logout")
async def logout(request: Request) -> HTTPResponse:
    response = json({"msg": "Logged out."})
    unset_jwt_cookies(response)
    return response


if __name__ == "__main__":
    app.run(port=8000)
