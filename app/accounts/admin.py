"""The `create-admin` command's work: the first admin can only come from here."""

import warnings

from app.accounts.flows import make_admin
from app.accounts.passwords import Passwords
from app.accounts.tokens import token_manager
from app.db import open_database
from app.db.journal import DatabaseJournal
from app.schemas import Credentials
from app.settings import Settings
from sanic_jwt_extended.blacklist import redis_client


async def create_admin(settings: Settings, credentials: Credentials) -> bool:
    """Make the user an admin in the configured database; True if the user is new.

    Through a token manager of the command's own (no app: the command serves nothing),
    whose journal is the database's: promoting an existing user ends their earlier tokens
    on a running server at once with Redis, and within a second (its next read of the
    journal) with an in-memory blacklist.
    """
    passwords = Passwords(settings)
    redis = redis_client(settings.redis_url) if settings.redis_url else None
    with warnings.catch_warnings():
        # The command's blacklist lives as long as the command: what counts is the
        # journal, which the server reads; so its warning would only mislead.
        warnings.filterwarnings("ignore", "InMemoryBlacklist is process-local", UserWarning)
        tokens = token_manager(settings, journal=DatabaseJournal(), redis=redis)
    async with open_database(settings.database_url):
        await tokens.open()
        try:
            return await make_admin(passwords, tokens, credentials)
        finally:
            await tokens.close()
            if redis is not None:
                await redis.aclose()
