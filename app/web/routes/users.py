"""User administration, for admins only; changes end the user's earlier sessions."""

from sanic import Blueprint, HTTPResponse, Request

from app.accounts import flows
from app.db.models import User, username_key
from app.db.storage import get_or_404, page_by_id
from app.exceptions import LastAdmin
from app.schemas import Message, RoleChange, UserList, UserOut, UserPage
from app.web.context import app_context
from app.web.docs import operation
from app.web.guards import admin_required
from app.web.payloads import message, parse_body, parse_query, read_route, respond
from sanic_jwt_extended.tokens import Token

bp = Blueprint("users", url_prefix="/users")

NOT_FOUND = "User not found."


@read_route(bp, "")
@operation(
    "listUsers",
    "List users",
    "One page of the users, by id, with the total for paging (`?limit=`, `?offset=`); "
    "`?search=` lists those whose name contains the text, in any letter case (`%` and `_` "
    "are letters like any other). For admins.",
    query=UserPage,
    responses={200: (UserList, "One page of users.")},
)
@admin_required()
async def list_users(request: Request, token: Token) -> HTTPResponse:
    """One page of users by id, those whose name holds `search` when it is given.

    Names are compared by their key (case-folded), which the search is folded like; the
    ORM escapes LIKE's wildcards in it.
    """
    page = parse_query(request, UserPage)
    query = User.all()
    if page.search:
        query = query.filter(username_key__contains=username_key(page.search))
    users, total = await page_by_id(query, page.offset, page.limit)
    return respond(
        UserList(
            users=[UserOut.model_validate(user) for user in users],
            total=total,
            limit=page.limit,
            offset=page.offset,
        )
    )


@read_route(bp, "/<user_id:int>")
@operation(
    "getUser",
    "Read a user",
    "A user's id, name and role (never their password). For admins.",
    responses={200: (UserOut, "The user.")},
    errors={404: NOT_FOUND},
)
@admin_required()
async def get_user(request: Request, user_id: int, token: Token) -> HTTPResponse:
    return respond(UserOut.model_validate(await get_or_404(User, user_id, "User")))


@bp.patch("/<user_id:int>")
@operation(
    "updateUser",
    "Change a user's role",
    "Make a user an ADMIN or a USER. Every token they hold says the old role, and stops "
    "working: they log in again. The last admin cannot be demoted. For admins, with a fresh "
    "token (straight from a login).",
    body=RoleChange,
    responses={200: (UserOut, "The user with the new role.")},
    errors={404: NOT_FOUND, 409: LastAdmin.message},
)
@admin_required(fresh=True)
async def change_role(request: Request, user_id: int, token: Token) -> HTTPResponse:
    """Set a user's role; every token they hold carries the old one, and stops working."""
    body = parse_body(request, RoleChange)
    user = await flows.change_role(app_context(request).jwt, user_id, body.role)
    return respond(UserOut.model_validate(user))


@bp.delete("/<user_id:int>")
@operation(
    "deleteUser",
    "Delete a user",
    "Delete a user; their tokens stop working. The last admin cannot be deleted. For "
    "admins, with a fresh token (straight from a login).",
    responses={200: (Message, "User deleted.")},
    errors={404: NOT_FOUND, 409: LastAdmin.message},
)
@admin_required(fresh=True)
async def delete_user(request: Request, user_id: int, token: Token) -> HTTPResponse:
    """Delete a user; their tokens stop working."""
    await flows.delete_user(app_context(request).jwt, user_id)
    return message("User deleted.")
