"""Errors of staff login and sessions."""

from civicid.core.errors import CivicIDError, NotAuthenticated


class InvalidCredentials(NotAuthenticated):
    """One message for a wrong password, an unknown user and a disabled account (no user enumeration)."""

    code = "invalid_credentials"
    title = "Wrong username or password"


class SessionExpired(NotAuthenticated):
    code = "session_expired"
    title = "Session expired or unknown"


class AccountLocked(CivicIDError):
    """Too many wrong passwords in a row: RFC 6585's 429 fits a throttled login better than 401."""

    code = "account_locked"
    title = "Account locked after too many failed logins"
    status = 429
