"""What the credentials' API takes and returns (pydantic)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from civicid.credentials.profiles import Profile

QR_FORMAT = "qr-v1"


class QrRequest(BaseModel):
    """What the holder asks to show: a profile, the fields to disclose, and the passcode where it is needed."""

    model_config = ConfigDict(extra="forbid")

    profile: Profile = Profile.EID
    fields: list[str] | None = Field(default=None, max_length=12)
    document_id: str | None = Field(default=None, max_length=36)
    passcode: str | None = Field(default=None, max_length=12)


class QrOut(BaseModel):
    """A QR credential: its text (what the QR code holds), the code as SVG, and until when it verifies."""

    format: str = QR_FORMAT
    profile: Profile
    text: str
    svg: str
    qr_version: int
    issued_at: dt.datetime
    expires_at: dt.datetime
    fields: list[str]


class SdJwtRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    document_id: str | None = Field(default=None, max_length=36)
    passcode: str | None = Field(default=None, max_length=12)


class SdJwtOut(BaseModel):
    """An SD-JWT VC for the holder's device to present (``~``-separated, every disclosure included)."""

    format: str = "dc+sd-jwt"
    vct: str
    sd_jwt: str
    expires_at: dt.datetime


class VerifyIn(BaseModel):
    """A QR text or an SD-JWT VC presentation to check online; for an SD-JWT with key binding, the nonce and
    audience the verifier asked for."""

    model_config = ConfigDict(extra="forbid")

    credential: str = Field(min_length=1, max_length=8000)
    nonce: str | None = Field(default=None, max_length=200)
    audience: str | None = Field(default=None, max_length=200)


class VerdictOut(BaseModel):
    valid: bool
    reason: str | None
    format: str | None
    profile: str | None
    issuer: str | None
    kid: str | None
    credential_id: str | None
    issued_at: int | None
    expires_at: int | None
    device_bound: bool
    status: str | None
    disclosed: dict[str, Any]
    bundle_age: int | None


class IssuedCredentialRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: str
    profile: str
    format: str
    document_id: str | None
    issued_at: dt.datetime
    expires_at: dt.datetime
    status: int
    revoked_at: dt.datetime | None
    revoked_reason: str | None
