"""The `create-admin` command's work: the first admin can only come from here."""

from app.accounts.flows import make_admin
from app.accounts.passwords import Passwords
from app.accounts.tokens import configure_jwt
from app.db import open_database
from app.schemas import Credentials
from app.settings import Settings
from sanic_jwt_extended import TokenManager


async def create_admin(settings: Settings, credentials: Credentials) -> bool:
    """Make the user an admin in the configured database; True if the user is new.

    With Redis the blacklist is shared with the running server, so promoting an existing
    user ends their earlier access tokens at once too, through a token manager of the
    command's own (no app: the command serves nothing); an in-memory blacklist lives in
    the server's process, out of reach, and those end within their lifetime.
    """
    passwords = Passwords(settings)
    async with open_database(settings.database_url):
        if not settings.redis_url:
            return await make_admin(passwords, credentials, revoker=None)
        with TokenManager.configure() as tokens:
            configure_jwt(tokens.config, settings)
        await tokens.open()
        try:
            return await make_admin(passwords, credentials, revoker=tokens)
        finally:
            await tokens.close()
