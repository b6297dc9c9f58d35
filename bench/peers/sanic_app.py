"""Bare Sanic, as a user would write it: what the service is measured against (issue 15).

Plain Sanic, PyJWT and tortoise, with nothing of `app/` or `sanic_jwt_extended/`: the
service's cost is what it spends beyond this. The kit runs it with Sanic's own command
line, one worker, which runs it as server.py runs ours: Sanic's worker manager in the
main process, the app in one worker process.

The item model is its own, not `app.db.models`: importing that package imports the
whole service (`app/__init__.py` builds on the factory, hence on the extension). It maps
every column of the `items` table the kit seeds, the timestamps too, so that its query
and the decoding of its row are those of ours: the comparison then measures what the
service does around the query, not a narrower SELECT. tortoise is set up the plain way,
with `register_tortoise`, on the database of BENCH_DATABASE_URL.
"""

import os
from collections.abc import Awaitable, Callable
from functools import wraps
from typing import Any

import jwt
from sanic import HTTPResponse, Request, Sanic
from sanic.response import json
from tortoise import fields
from tortoise.contrib.sanic import register_tortoise
from tortoise.models import Model

SECRET = os.environ["BENCH_SECRET"]

Handler = Callable[..., Awaitable[HTTPResponse]]

app: Sanic[Any, Any] = Sanic("bench_peer")
# sanic-ext is installed here (the service's docs use it), and Sanic would load it into
# any app; bare Sanic goes without it, as the service does but for its docs.
app.config.AUTO_EXTEND = False


class Item(Model):
    id = fields.IntField(primary_key=True)
    name = fields.CharField(max_length=80)
    price = fields.DecimalField(max_digits=9, decimal_places=2)
    store_id = fields.IntField()
    created_at = fields.DatetimeField(auto_now_add=True)
    updated_at = fields.DatetimeField(auto_now=True)

    class Meta:
        table = "items"


register_tortoise(app, db_url=os.environ["BENCH_DATABASE_URL"], modules={"models": [__name__]})


def token_required(handler: Handler) -> Handler:
    """Verify the bearer token (HS256: signature, exp, nbf, iat); 401 otherwise."""

    @wraps(handler)
    async def checked(request: Request, *args: Any, **kwargs: Any) -> HTTPResponse:
        scheme, _, token = request.headers.get("authorization", "").partition(" ")
        if scheme != "Bearer" or not token:
            return json({"msg": "Missing bearer token"}, status=401)
        try:
            request.ctx.claims = jwt.decode(token, SECRET, algorithms=["HS256"])
        except jwt.InvalidTokenError as error:
            return json({"msg": str(error)}, status=401)
        return await handler(request, *args, **kwargs)

    return checked


async def item_response(item_id: int) -> HTTPResponse:
    item = await Item.get_or_none(id=item_id)
    if item is None:
        return json({"msg": "Item not found."}, status=404)
    return json(
        {"id": item.id, "name": item.name, "price": str(item.price), "store_id": item.store_id}
    )


@app.get("/hello")
async def hello(request: Request) -> HTTPResponse:
    return json({"hello": "world"})


@app.get("/protected")
@token_required
async def protected(request: Request) -> HTTPResponse:
    return json({"sub": request.ctx.claims["sub"]})


@app.get("/items/<item_id:int>")
async def get_item(request: Request, item_id: int) -> HTTPResponse:
    return await item_response(item_id)


@app.get("/protected-items/<item_id:int>")
@token_required
async def get_protected_item(request: Request, item_id: int) -> HTTPResponse:
    return await item_response(item_id)
