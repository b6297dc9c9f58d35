"""Items: users browse and edit them, a fresh login is needed to add one, admins delete."""

from sanic import Blueprint, HTTPResponse, Request

from app.db.models import Item, Store
from app.db.storage import delete_or_404, get_or_404, page_by_id, save_or_404, unique_name
from app.exceptions import NameTaken
from app.schemas import ItemIn, ItemList, ItemOut, ItemPage, ItemUpdate, Message
from app.web.docs import operation
from app.web.guards import admin_required, jwt_required
from app.web.payloads import message, parse_body, parse_query, read_route, respond
from sanic_jwt_extended.tokens import Token

bp = Blueprint("items", url_prefix="/items")

NAME_TAKEN = "An item with that name already exists in this store."
NOT_FOUND = "Item not found."


@read_route(bp, "")
@operation(query=ItemPage, responses={200: (ItemList, "One page of items.")})
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
@operation(responses={200: (ItemOut, "The item.")}, errors={404: NOT_FOUND})
@jwt_required
async def get_item(request: Request, item_id: int, token: Token) -> HTTPResponse:
    return await item_response(item_id)


async def item_response(item_id: int) -> HTTPResponse:
    """The item `item_id`, or 404; the benchmark's route without auth answers with it too."""
    return respond(ItemOut.model_validate(await get_or_404(Item, item_id, "Item")))


@bp.put("/<item_id:int>")
@operation(
    body=ItemUpdate,
    responses={200: (ItemOut, "The item as saved.")},
    errors={404: NOT_FOUND, 409: NAME_TAKEN},
)
@jwt_required
async def update_item(request: Request, item_id: int, token: Token) -> HTTPResponse:
    """Rename and reprice an item; it stays in its store."""
    body = parse_body(request, ItemUpdate)
    item = await get_or_404(Item, item_id, "Item")
    item.name, item.price = body.name, body.price
    with unique_name(NAME_TAKEN):
        await save_or_404(item, "Item", "name", "price")
    return respond(ItemOut.model_validate(item))


@bp.delete("/<item_id:int>")
@operation(responses={200: (Message, "The item is deleted.")}, errors={404: NOT_FOUND})
@admin_required()
async def delete_item(request: Request, item_id: int, token: Token) -> HTTPResponse:
    await delete_or_404(Item, item_id, "Item")
    return message("Item deleted.")
