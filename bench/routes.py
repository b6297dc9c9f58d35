"""The kit's own routes, mounted on the service it measures (see bench/service.py).

They measure what the real routes cost on top of the framework and the database: a
bare route is the ceiling of the app, and an item without authentication is the same
look-up and response as `GET /items/{id}` minus the token check. The service itself
never serves them.
"""

from typing import Any

from sanic import Blueprint, HTTPResponse, Request, Sanic
from sanic.response import json
from sanic_ext.extensions.openapi import openapi

from app.web.routes.items import item_response

bp = Blueprint("bench", url_prefix="/bench")


def mount(app: Sanic[Any, Any]) -> None:
    """Add the kit's routes to `app`, one of the service's."""
    app.blueprint(bp)


@bp.get("/hello")
@openapi.exclude()
async def hello(request: Request) -> HTTPResponse:
    return json({"hello": "world"})


@bp.get("/items/<item_id:int>")
@openapi.exclude()
async def item_without_auth(request: Request, item_id: int) -> HTTPResponse:
    return await item_response(item_id)
