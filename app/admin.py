"""The `create-admin` command's work: the first admin can only come from here."""

from app.accounts import make_admin
from app.db import open_database
from app.factory import create_app
from app.passwords import Passwords
from app.schemas import Credentials
from app.settings import Settings


async def create_admin(settings: Settings, credentials: Credentials) -> bool:
    """Make the user an admin in the configured database; True if the user is new.

    With Redis the blacklist is shared with the running server, so promoting an existing
    user ends their earlier access tokens at once too; an in-memory blacklist lives in
    the server's process, out of reach, and those end within their lifetime.
    """
    passwords = Passwords(settings)
    async with open_database(settings.database_url):
        if not settings.redis_url:
            return await make_admin(passwords, credentials, revoke_in_blacklist=False)
        blacklist = create_app(settings).ctx.blacklist  # initialises the JWT extension
        try:
            return await make_admin(passwords, credentials, revoke_in_blacklist=True)
        finally:
            await blacklist.close()
