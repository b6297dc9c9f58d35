"""Logout and "log out everywhere" with the Redis blacklist, shared by every worker.

A revoked token is refused (401) by every worker and host that uses the same Redis, at
once; entries expire when their tokens would. If Redis cannot be reached, protected
views answer 503 rather than let a possibly revoked token through.

Run: REDIS_URL=redis://127.0.0.1:6379/0 python redis_blacklist.py (needs the `redis` extra)
"""

import os

from sanic import Request, Sanic
from sanic.response import HTTPResponse, json

from sanic_jwt_extended import JWT, jwt_required, refresh_jwt_required
from sanic_jwt_extended.blacklist import RedisBlacklist
from sanic_jwt_extended.tokens import Token

app = Sanic("redis_example")

with JWT.initialize(app) as manager:
    manager.config.secret_key = os.environ.get("SECRET_KEY", "change-me-to-32-random-bytes!!!!")
    manager.config.use_blacklist = True
    manager.config.blacklist_class = RedisBlacklist
    manager.config.blacklist_init_kwargs = {
        "url": os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0"),
        "key_prefix": os.environ.get("REDIS_KEY_PREFIX", "example"),
    }


@app.post("/login/<username>")
async def login(request: Request, username: str) -> HTTPResponse:
    return json(
        {
            "access_token": JWT.create_access_token(username, fresh=True),
            "refresh_token": JWT.create_refresh_token(username),
        }
    )


@app.get("/me")
@jwt_required
async def me(request: Request, token: Token) -> HTTPResponse:
    return json({"username": token.identity})


@app.post("/logout")
@jwt_required
async def logout(request: Request, token: Token) -> HTTPResponse:
    await token.revoke()  # this access token only
    return json({"msg": "Logged out."})


@app.post("/logout-refresh")
@refresh_jwt_required
async def logout_refresh(request: Request, token: Token) -> HTTPResponse:
    await JWT.revoke(token)  # the refresh token, sent in X-Refresh-Token
    return json({"msg": "Refresh token revoked."})


@app.post("/logout-everywhere")
@jwt_required
async def logout_everywhere(request: Request, token: Token) -> HTTPResponse:
    await JWT.revoke_all(token.identity)  # every token issued to this user until now
    return json({"msg": "Logged out everywhere."})


if __name__ == "__main__":
    app.run(port=8000, workers=2)
