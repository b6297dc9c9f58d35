"""What the service's rules refuse, said in its own words and nothing of HTTP.

The flows and the storage raise these; the web layer's error table (app.web.errors)
answers each with a status, and the command line prints its text. An error's text is the
sentence a client or an operator reads: its class's `message`, or one given when raised.
"""

from typing import ClassVar


class DomainError(Exception):
    """Base of the service's own refusals; `str(error)` is the sentence to show."""

    # The text of every error of the class, for those whose text never varies.
    message: ClassVar[str] = ""

    def __init__(self, text: str = "") -> None:
        super().__init__(text or self.message)


class InvalidCredentials(DomainError):
    """A login whose name or password does not match (which one is never said)."""

    message = "Invalid credentials."


class WrongPassword(DomainError):
    """A password change whose current password is wrong. Not a 401: OAuth2 clients take
    a 401 for an expired token, and would log in again."""

    message = "The current password is wrong."


class NameTaken(DomainError):
    """A unique name is taken; the text says which, e.g. "That username is taken."."""


class LastAdmin(DomainError):
    """A change that would leave the service without an admin."""

    message = "This is the last admin: make another user an admin first."


class NotFound(DomainError):
    """There is no such row (any more): "Item not found."."""

    def __init__(self, what: str) -> None:
        super().__init__(f"{what} not found.")


class AccountChanged(DomainError):
    """create-admin: another request created or deleted the account meanwhile; the text is
    that of the refusal met ("That username is taken.", "User not found.")."""


class UserGone(DomainError):
    """A refresh token whose user has been deleted."""

    message = "User no longer exists."


class ForeignToken(DomainError):
    """A correctly signed token that this service did not make (another claim layout,
    another service sharing the key): refused, never a crash."""


class ForeignRefreshToken(DomainError):
    """A logout whose refresh token belongs to another user than its access token."""

    def __init__(self, header: str) -> None:
        super().__init__(f"{header} holds another user's token.")


class NoPublicKeys(DomainError):
    """An HS* service signs with a secret: it has no public key to publish."""

    message = "This service signs with a secret (HS*): it publishes no public keys."


class LoginThrottled(DomainError):
    """Too many failed logins for the username, or from the address, within the window
    (which of the two is never said); `retry_after`: whole seconds until it ends."""

    message = "Too many failed logins: try again later."

    def __init__(self, retry_after: int) -> None:
        super().__init__()
        self.retry_after = retry_after


class ThrottleUnavailable(DomainError):
    """The login throttle's counts (in Redis) cannot be reached: logins are refused
    rather than let in uncounted."""

    message = "Logins are unavailable: the failed-login counts cannot be reached."
