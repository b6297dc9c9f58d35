"""User administration, for admins only; changes end the user's earlier sessions."""

from sanic import Blueprint, HTTPResponse, Request

from app.accounts import flows
from app.db.models import User
from app.db.storage import get_or_404
from app.exceptions import LastAdmin
from app.schemas import Message, RoleChange, UserOut
from app.web.context import app_context
from app.web.docs import operation
from app.web.guards import admin_required
from app.web.payloads import message, parse_body, read_route, respond
from sanic_jwt_extended.tokens import Token

bp = Blueprint("users", url_prefix="/users")

NOT_FOUND = "User not found."


@read_route(bp, "/<user_id:int>")
@operation(responses={200: (UserOut, "The user.")}, errors={404: NOT_FOUND})
@admin_required()
async def get_user(request: Request, user_id: int, token: Token) -> HTTPResponse:
    return respond(UserOut.model_validate(await get_or_404(User, user_id, "User")))


@bp.patch("/<user_id:int>")
@operation(
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
    responses={200: (Message, "The user is deleted.")},
    errors={404: NOT_FOUND, 409: LastAdmin.message},
)
@admin_required(fresh=True)
async def delete_user(request: Request, user_id: int, token: Token) -> HTTPResponse:
    """Delete a user; their tokens stop working."""
    await flows.delete_user(app_context(request).jwt, user_id)
    return message("User deleted.")
