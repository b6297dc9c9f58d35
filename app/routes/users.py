"""User administration, for admins only; changes end the user's earlier sessions."""

from sanic import Blueprint, HTTPResponse, Request
from tortoise.transactions import in_transaction

from app.auth import admin_required
from app.models import User
from app.routes.payloads import message, parse_body, respond
from app.routes.schemas import RoleChange, UserOut
from app.routes.storage import get_or_404
from sanic_jwt_extended import JWT
from sanic_jwt_extended.tokens import Token

bp = Blueprint("users", url_prefix="/users")


@bp.get("/<user_id:int>")
@admin_required()
async def get_user(request: Request, user_id: int, token: Token) -> HTTPResponse:
    return respond(UserOut.model_validate(await get_or_404(User, user_id, "User")))


@bp.patch("/<user_id:int>")
@admin_required(fresh=True)
async def change_role(request: Request, user_id: int, token: Token) -> HTTPResponse:
    """Set a user's role, and revoke every token they hold: those carry the old role.

    The revocation happens inside the transaction: if the blacklist cannot be reached,
    the role change is rolled back too, rather than leaving old tokens with the old role.
    """
    body = parse_body(request, RoleChange)
    async with in_transaction():
        user = await get_or_404(User, user_id, "User")
        user.role = body.role
        await user.save(update_fields=["role"])
        await JWT.revoke_all(str(user.id))
    return respond(UserOut.model_validate(user))


@bp.delete("/<user_id:int>")
@admin_required(fresh=True)
async def delete_user(request: Request, user_id: int, token: Token) -> HTTPResponse:
    """Delete a user and revoke their tokens, in one transaction as for a role change."""
    async with in_transaction():
        user = await get_or_404(User, user_id, "User")
        await user.delete()
        await JWT.revoke_all(str(user_id))
    return message("User deleted.")
