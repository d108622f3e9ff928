"""Domain errors.

Every error a user can cause is a :class:`CivicIDError`. It carries a stable machine code
(``invalid_id_number``), a human title and the HTTP status the API edge maps it to. The edges
(``web/problems.py`` for RFC 9457 documents, ``core/console.py`` for the CLI's exit status 2) render
them once; domain code raises and never catches to re-format.
"""

from __future__ import annotations

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
