"""Making admins outside the API: the first admin can only come from here."""

from app.db import open_database
from app.models import Role, User
from app.passwords import Passwords
from app.routes.schemas import Credentials
from app.settings import Settings


async def make_admin(settings: Settings, credentials: Credentials) -> bool:
    """Create the user as an admin, or promote them and set this password; True if new.

    Setting the password on promotion means the operator always ends up knowing it.
    """
    password_hash = await Passwords(settings).hash(credentials.password)
    async with open_database(settings.database_url):
        _, created = await User.update_or_create(
            defaults={"password_hash": password_hash, "role": Role.ADMIN},
            username=credentials.username,
        )
    return created
