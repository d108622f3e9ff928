"""The provider's domain errors (mapped to RFC 9457 problems at the edge, one line and exit 2 in the CLI)."""

from __future__ import annotations

from civicid.core.errors import CivicIDError


class ClientNotFound(CivicIDError):
    code = "idp_client_not_found"
    title = "No such relying party"
    status = 404


class InvalidClientInput(CivicIDError):
    code = "idp_invalid_client"
    title = "The relying party's registration is not valid"
    status = 422


class SignInRequired(CivicIDError):
    code = "idp_sign_in_required"
    title = "Sign in first"
    status = 401


class InvalidLoginCode(CivicIDError):
    code = "idp_invalid_code"
    title = "The code is wrong, expired or used up"
    status = 400


class InvalidOAuthRequest(CivicIDError):
    """A parameter repeated (RFC 6749 §3.1), too long, or with a NUL: refused before any processing."""

    code = "idp_invalid_request"
    title = "The request repeats a parameter or carries one that is too long"
    status = 400
