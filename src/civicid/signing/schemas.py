"""What signing's API takes and returns."""

from __future__ import annotations

from pydantic import BaseModel, Field

from civicid.signing.service import CertificateView


class SignatureState(BaseModel):
    """The holder's signature: whether they may activate one, and their certificate if they hold one."""

    eligible: bool
    certificate: CertificateView | None
    #: What the app must say: the time stamps come from the demo's TSA (decision 0049).
    simulated: list[str]


class ActivationIn(BaseModel):
    passcode: str = Field(min_length=1, max_length=10)
    code: str = Field(min_length=1, max_length=12)


class SignatureCodeSent(BaseModel):
    sent: bool


class VerifiedSignature(BaseModel):
    field_name: str
    signer: str | None
    signer_id: str | None
    serial: str | None
    signed_at: str | None
    timestamped: bool
    intact: bool
    valid: bool
    trusted: bool
    certificate_status: str
    revocation_reason: str | None
    changed_after: bool
    level: str
    problems: list[str]
    ok: bool


class VerifyOut(BaseModel):
    """``civicid-pdf-verify/1``: every signature of the document, checked."""

    format: str = "civicid-pdf-verify/1"
    signatures: list[VerifiedSignature]
