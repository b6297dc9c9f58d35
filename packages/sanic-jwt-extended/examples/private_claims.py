"""Private and public claims: what the app needs about a user, carried in the token.

Private claims are stored under `private_claim_prefix` (`shop_plan`, ...) and read back
without it; public claims are stored under `public_claim_namespace` (nested mappings as
`/`-separated names) and read back nested. Neither can overwrite `sub`, the role or any
other claim the extension relies on.
"""

import os

from sanic import Request, Sanic
from sanic.response import HTTPResponse, json

from sanic_jwt_extended import JWT, jwt_required
from sanic_jwt_extended.tokens import Token

app = Sanic("claims_example")

with JWT.initialize(app) as manager:
    manager.config.secret_key = os.environ.get("SECRET_KEY", "change-me-to-32-random-bytes!!!!")
    manager.config.private_claim_prefix = "shop"
    manager.config.public_claim_namespace = "https://shop.example.com/"

ACCOUNTS = {"alice": {"id": 7, "plan": "gold", "country": "NL"}}


@app.post("/login/<username>")
async def login(request: Request, username: str) -> HTTPResponse:
    account = ACCOUNTS[username]
    token = JWT.create_access_token(
        account["id"],
        private_claims={"plan": account["plan"], "username": username},
        public_claims={"locale": {"country": account["country"]}},
    )
    return json({"access_token": token})


@app.get("/me")
@jwt_required
async def me(request: Request, token: Token) -> HTTPResponse:
    return json(
        {
            "user_id": int(token.identity),
            "private_claims": token.private_claims,
            "public_claims": token.public_claims,
            "raw_claim_names": sorted(token.raw_data),
        }
    )


if __name__ == "__main__":
    app.run(port=8000)
