"""Items: users browse and edit them, a fresh login is needed to add one, admins delete."""

from typing import Any

from sanic import Blueprint, HTTPResponse, Request

from app.db.models import Item, Store
from app.db.storage import delete_or_404, get_or_404, page_by_id, save_or_404, unique_name
from app.exceptions import NameTaken
from app.schemas import ItemIn, ItemList, ItemOut, ItemPage, ItemPatch, ItemUpdate, Message
from app.web.docs import operation
from app.web.guards import admin_required, jwt_required
from app.web.payloads import message, parse_body, parse_query, read_route, respond
from sanic_jwt_extended.tokens import Token

bp = Blueprint("items", url_prefix="/items")

NAME_TAKEN = "An item with that name already exists in this store."
NOT_FOUND = "Item not found."


@read_route(bp, "")
@operation(
    "listItems",
    "List items",
    "One page of the items, by id, with the total for paging (`?limit=`, `?offset=`); "
    "`?store_id=` lists one store's.",
    query=ItemPage,
    responses={200: (ItemList, "One page of items.")},
)
@jwt_required
async def list_items(request: Request, token: Token) -> HTTPResponse:
    """One page of items by id, optionally of one store, with the total for paging."""
    page = parse_query(request, ItemPage)
    query = Item.all() if page.store_id is None else Item.filter(store_id=page.store_id)
    items, total = await page_by_id(query, page.offset, page.limit)
    return respond(
        ItemList(
            items=[ItemOut.model_validate(item) for item in items],
            total=total,
            limit=page.limit,
            offset=page.offset,
        )
    )


@bp.post("")
@operation(
    "createItem",
    "Add an item",
    "A new item in a store. It needs a fresh access token, straight from a login (not a "
    "refreshed one). Its name, trimmed, is 1 to 80 characters and no other item's in the "
    "store; its price a number from 0 to 1,000,000 with at most two decimals.",
    body=ItemIn,
    responses={201: (ItemOut, "The new item.")},
    errors={404: "Store not found.", 409: NAME_TAKEN},
)
@jwt_required(fresh_required=True)
async def create_item(request: Request, token: Token) -> HTTPResponse:
    body = parse_body(request, ItemIn)
    store = await get_or_404(Store, body.store_id, "Store")
    try:
        with unique_name(NAME_TAKEN):
            item = await Item.create(name=body.name, price=body.price, store=store)
    except NameTaken:
        # The foreign key fails too when the store was deleted since it was read.
        await get_or_404(Store, body.store_id, "Store")
        raise
    return respond(ItemOut.model_validate(item), status=201)


@read_route(bp, "/<item_id:int>")
@operation(
    "getItem",
    "Read an item",
    "An item, with its store's id.",
    responses={200: (ItemOut, "The item.")},
    errors={404: NOT_FOUND},
)
@jwt_required
async def get_item(request: Request, item_id: int, token: Token) -> HTTPResponse:
    return await item_response(item_id)


async def item_response(item_id: int) -> HTTPResponse:
    """The item `item_id`, or 404; the benchmark's route without auth answers with it too."""
    return respond(ItemOut.model_validate(await get_or_404(Item, item_id, "Item")))


@bp.put("/<item_id:int>")
@operation(
    "replaceItem",
    "Replace an item",
    "Set an item's name and price, both; it stays in its store. (PATCH changes either.)",
    body=ItemUpdate,
    responses={200: (ItemOut, "The item as saved.")},
    errors={404: NOT_FOUND, 409: NAME_TAKEN},
)
@jwt_required
async def replace_item(request: Request, item_id: int, token: Token) -> HTTPResponse:
    """Rename and reprice an item; it stays in its store."""
    body = parse_body(request, ItemUpdate)
    return await _changed(item_id, {"name": body.name, "price": body.price})


@bp.patch("/<item_id:int>")
@operation(
    "updateItem",
    "Change an item",
    "Change any of an item's name and price (at least one); what is left out stays as it "
    "is. The rules are those of PUT.",
    body=ItemPatch,
    responses={200: (ItemOut, "The item as saved.")},
    errors={404: NOT_FOUND, 409: NAME_TAKEN},
)
@jwt_required
async def update_item(request: Request, item_id: int, token: Token) -> HTTPResponse:
    """Change the fields sent of an item, and only those."""
    return await _changed(item_id, parse_body(request, ItemPatch).changes())


async def _changed(item_id: int, changes: dict[str, Any]) -> HTTPResponse:
    """Write `changes` to the item `item_id`, and answer it as saved."""
    item = await get_or_404(Item, item_id, "Item")
    for field, value in changes.items():
        setattr(item, field, value)
    with unique_name(NAME_TAKEN):
        await save_or_404(item, "Item", *changes)
    return respond(ItemOut.model_validate(item))


@bp.delete("/<item_id:int>")
@operation(
    "deleteItem",
    "Delete an item",
    "Delete an item. For admins: role ADMIN and the `is_admin` claim true.",
    responses={200: (Message, "Item deleted.")},
    errors={404: NOT_FOUND},
)
@admin_required()
async def delete_item(request: Request, item_id: int, token: Token) -> HTTPResponse:
    await delete_or_404(Item, item_id, "Item")
    return message("Item deleted.")
