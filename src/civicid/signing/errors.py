"""The signing capability's domain errors."""

from __future__ import annotations

from civicid.core.errors import CivicIDError


class SignatureNotAllowed(CivicIDError):
    """The account may not hold a signing certificate: not level 2, not active, or locked."""

    code = "signature_not_allowed"
    title = "Digital signatures need an active level-2 account"
    status = 403


class SignatureNotActive(CivicIDError):
    """There is no usable certificate: never activated, suspended while the account is locked, or revoked."""

    code = "signature_not_active"
    title = "No active signing certificate"
    status = 409


class SignatureAlreadyActive(CivicIDError):
    code = "signature_already_active"
    title = "A signing certificate is active already"
    status = 409


class InvalidDocument(CivicIDError):
    """Not a PDF pyHanko can read, too large, or encrypted."""

    code = "invalid_document"
    title = "This document cannot be signed or verified"
    status = 422


class PkiRequestInvalid(CivicIDError):
    """A malformed OCSP or time-stamp request."""

    code = "pki_request_invalid"
    title = "The request is not a valid OCSP or RFC 3161 request"
    status = 400


class CertificateNotFound(CivicIDError):
    code = "certificate_not_found"
    title = "No such certificate"
    status = 404


class KeyVaultUnavailable(CivicIDError):
    """The HSM (PKCS#11 token) or the keystore does not answer, or lacks a key it should hold."""

    code = "key_vault_unavailable"
    title = "The signing keys cannot be reached"
    status = 503
