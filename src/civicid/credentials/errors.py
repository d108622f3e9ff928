"""The credentials' domain errors."""

from __future__ import annotations

from civicid.core.errors import CivicIDError


class InvalidCredentialRequest(CivicIDError):
    code = "invalid_credential_request"
    title = "This credential cannot be made as asked"
    status = 422


class CredentialUnavailable(CivicIDError):
    """The holder's account or document does not allow a credential now (locked, revoked, expired)."""

    code = "credential_unavailable"
    title = "No credential can be issued for this now"
    status = 409


class CredentialNotFound(CivicIDError):
    code = "credential_not_found"
    title = "No such credential"
    status = 404


class StatusListNotFound(CivicIDError):
    code = "status_list_not_found"
    title = "No such status list"
    status = 404
