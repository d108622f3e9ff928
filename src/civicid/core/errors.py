"""Domain errors.

Every error a user can cause is a :class:`CivicIDError`. It carries a stable machine code
(``invalid_id_number``), a human title and the HTTP status the API edge maps it to. The edges
(``web/problems.py`` for RFC 9457 documents, ``core/console.py`` for the CLI's exit status 2) render
them once; domain code raises and never catches to re-format.
"""

from __future__ import annotations

import traceback
from typing import Any, ClassVar


class CivicIDError(Exception):
    """Base of every error caused by input or state, never by a bug."""

    code: ClassVar[str] = "civicid_error"
    title: ClassVar[str] = "Request could not be completed"
    status: ClassVar[int] = 400

    def __init__(self, detail: str, **extensions: Any) -> None:
        super().__init__(detail)
        self.detail = detail
        self.extensions = extensions


class InvalidInput(CivicIDError):
    code = "invalid_input"
    title = "Invalid input"
    status = 422


class NotFound(CivicIDError):
    code = "not_found"
    title = "Not found"
    status = 404


class Conflict(CivicIDError):
    code = "conflict"
    title = "Conflict with the current state"
    status = 409


class NotAuthenticated(CivicIDError):
    code = "not_authenticated"
    title = "Authentication required"
    status = 401


class Forbidden(CivicIDError):
    code = "forbidden"
    title = "Not allowed for this role"
    status = 403


class DatabaseUnavailable(CivicIDError):
    """The database cannot be opened or stopped answering: nothing was committed; try again later."""

    code = "database_unavailable"
    title = "The database is unavailable"
    status = 503


def described_for_log(error: BaseException) -> str:
    """An exception as a log line may show it: its type and the code locations it passed, never its message.

    Messages may carry personal data (a database error quotes its statement's parameters), which
    never goes to logs (DESIGN.md decision 10).
    """
    frames = "; ".join(f"{f.filename}:{f.lineno} in {f.name}" for f in traceback.extract_tb(error.__traceback__))
    return f"{type(error).__name__} at {frames}" if frames else type(error).__name__
