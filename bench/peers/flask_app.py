"""Flask with flask-jwt-extended, under gunicorn: the peer our API is modelled on."""

import os

from flask import Flask
from flask_jwt_extended import JWTManager, get_jwt_identity, verify_jwt_in_request

app = Flask(__name__)
app.config["JWT_SECRET_KEY"] = os.environ["BENCH_SECRET"]
app.config["JWT_ALGORITHM"] = "HS256"
app.config["JWT_TOKEN_LOCATION"] = ["headers"]
JWTManager(app)


@app.get("/hello")
def hello() -> dict[str, str]:
    return {"hello": "world"}


@app.get("/protected")
def protected() -> dict[str, str]:
    # What @jwt_required() does, called directly: that decorator is untyped.
    verify_jwt_in_request()
    return {"sub": str(get_jwt_identity())}
