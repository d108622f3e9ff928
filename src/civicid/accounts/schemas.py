"""What the accounts capability returns (pydantic), separate from its table."""

from __future__ import annotations

import datetime as dt
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from civicid.accounts.models import AccountStatus


class AccountRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: str
    person_id: int
    id_number: str
    phone: str | None
    level: int
    status: AccountStatus
    issued_at: dt.datetime
    activated_at: dt.datetime | None
    issued_from: str


# The holder's API (activation, login, devices). Lengths bound the hashing work a request can ask for;
# the rules themselves (password policy, 6 digits) are the service's, so that they are said once.
_SECRET = Field(min_length=1, max_length=256)


class ActivationCodeIn(BaseModel):
    id_number: str = Field(min_length=1, max_length=20)
    phone: str = Field(min_length=1, max_length=20)


class ActivationVerifyIn(ActivationCodeIn):
    code: str = Field(min_length=1, max_length=10)


class CodeSent(BaseModel):
    """The same answer whether or not the details match an account (no user enumeration)."""

    detail: str = "If these details match an e-ID account waiting for it, a code was sent by SMS."
    expires_in_seconds: int


class Ticket(BaseModel):
    ticket: str
    expires_in_seconds: int


class SecurityAnswerIn(BaseModel):
    question: str = Field(min_length=1, max_length=40, description="The app's id of the question.")
    answer: str = Field(min_length=1, max_length=100)


class ActivationCompleteIn(BaseModel):
    ticket: str = Field(min_length=1, max_length=100)
    password: str = _SECRET
    passcode: str = Field(min_length=1, max_length=10)
    security_answers: list[SecurityAnswerIn] = Field(min_length=1, max_length=5)
    device_public_jwk: dict[str, Any] = Field(description="The device's P-256 public key (RFC 7517 JWK).")


class ActivationOut(BaseModel):
    account_id: str
    status: AccountStatus
    device_id: str
    documents_integrated: int
    documents_refused: int


class LoginIn(BaseModel):
    id_number: str = Field(min_length=1, max_length=20)
    password: str = _SECRET
    device_proof: str = Field(min_length=1, max_length=2000, description="civicid-device-proof/1 compact JWS.")


class DeviceCodeIn(BaseModel):
    id_number: str = Field(min_length=1, max_length=20)
    password: str = _SECRET


class DeviceBindIn(DeviceCodeIn):
    code: str = Field(min_length=1, max_length=10)
    device_public_jwk: dict[str, Any]
    device_proof: str = Field(min_length=1, max_length=2000)


class HolderSessionOut(BaseModel):
    token: str
    token_type: str = "Bearer"  # noqa: S105 - the RFC 6750 scheme name, not a secret
    account_id: str
    device_id: str
    expires_at: dt.datetime
