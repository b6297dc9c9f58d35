# The example of the sanic-jwt-extended 1.0 docs, unchanged but for `refresh_token`,
# which the docs forgot to create. Loaded by test_seed_example.py.
from sanic import Sanic
from sanic.response import json
from sanic.request import Request
from sanic_jwt_extended import JWT, jwt_required
from sanic_jwt_extended.tokens import Token

app = Sanic(__name__)
with JWT.initialize(app) as manager:
    manager.config.secret_key = "secret"
    manager.config.private_claim_prefix = "sanic_jwt_extended"

@app.route("/login", methods=["POST"])
async def login(request: Request):
    username = request.json.get("username", "user")
    access_token = JWT.create_access_token(identity=username, private_claims={"foo": "bar"})
    refresh_token = JWT.create_refresh_token(identity=username)
    return json(dict(access_token=access_token, refresh_token=refresh_token), status=200)

@app.route("/protected", methods=["GET"])
@jwt_required
async def protected(request: Request, token: Token):
    return json(dict(private_claims=token.private_claims))
