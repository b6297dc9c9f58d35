"""Stores: anyone may browse, any user may open one, only an admin may close one."""

from sanic import Blueprint, HTTPResponse, Request

from app.db.models import Item, Store
from app.db.storage import delete_or_404, get_or_404, page_by_id, unique_name
from app.schemas import (
    STORE_ITEMS_SHOWN,
    ItemOut,
    Message,
    Page,
    StoreIn,
    StoreList,
    StoreOut,
    StoreWithItems,
)
from app.web.docs import operation
from app.web.guards import admin_required, jwt_required
from app.web.payloads import message, parse_body, parse_query, read_route, respond
from sanic_jwt_extended.tokens import Token

bp = Blueprint("stores", url_prefix="/stores")

NAME_TAKEN = "A store with that name already exists."
NOT_FOUND = "Store not found."


@read_route(bp, "")
@operation(
    "listStores",
    "List stores",
    "One page of the stores, by id, with the total for paging (`?limit=`, `?offset=`).",
    query=Page,
    responses={200: (StoreList, "One page of stores.")},
)
async def list_stores(request: Request) -> HTTPResponse:
    """One page of stores, by id, with the total count for paging."""
    page = parse_query(request, Page)
    stores, total = await page_by_id(Store.all(), page.offset, page.limit)
    return respond(
        StoreList(
            stores=[StoreOut.model_validate(store) for store in stores],
            total=total,
            limit=page.limit,
            offset=page.offset,
        )
    )


@bp.post("")
@operation(
    "createStore",
    "Open a store",
    "A new store, for any logged-in user. Its name, trimmed, is 1 to 80 characters and no "
    "other store's.",
    body=StoreIn,
    responses={201: (StoreOut, "The new store.")},
    errors={409: NAME_TAKEN},
)
@jwt_required
async def create_store(request: Request, token: Token) -> HTTPResponse:
    body = parse_body(request, StoreIn)
    with unique_name(NAME_TAKEN):
        store = await Store.create(name=body.name)
    return respond(StoreOut.model_validate(store), status=201)


@read_route(bp, "/<store_id:int>")
@operation(
    "getStore",
    "Read a store",
    "A store with its first 100 items by id (`GET /items?store_id=` pages through all).",
    responses={200: (StoreWithItems, "The store and its items.")},
    errors={404: NOT_FOUND},
)
async def get_store(request: Request, store_id: int) -> HTTPResponse:
    """A store and its first items by id (`GET /items?store_id=` pages through all)."""
    store = await get_or_404(Store, store_id, "Store")
    items = await Item.filter(store_id=store.id).order_by("id").limit(STORE_ITEMS_SHOWN)
    return respond(
        StoreWithItems(
            **dict(StoreOut.model_validate(store)),
            items=[ItemOut.model_validate(i) for i in items],
        )
    )


@bp.delete("/<store_id:int>")
@operation(
    "deleteStore",
    "Close a store",
    "Delete a store and every item in it. For admins.",
    responses={200: (Message, "Store deleted.")},
    errors={404: NOT_FOUND},
)
@admin_required()
async def delete_store(request: Request, store_id: int, token: Token) -> HTTPResponse:
    """Delete a store; the foreign key's ON DELETE CASCADE takes its items with it."""
    await delete_or_404(Store, store_id, "Store")
    return message("Store deleted.")
