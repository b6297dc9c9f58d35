"""Routes for the benchmark kit only, served when the setting `bench_routes` is true.

They measure what the real routes cost on top of the framework and the database: a
bare route is the ceiling of the app, and an item without authentication is the same
look-up and response as `GET /items/{id}` minus the token check.
"""

from sanic import Blueprint, HTTPResponse, Request
from sanic.response import json
from sanic_ext.extensions.openapi import openapi

from app.routes.items import item_response

bp = Blueprint("bench", url_prefix="/bench")


@bp.get("/hello")
@openapi.exclude()
async def hello(request: Request) -> HTTPResponse:
    return json({"hello": "world"})


@bp.get("/items/<item_id:int>")
@openapi.exclude()
async def item_without_auth(request: Request, item_id: int) -> HTTPResponse:
    return await item_response(item_id)
