"""What the accounts capability returns (pydantic), separate from its table."""

from __future__ import annotations

import datetime as dt
from typing import Any, Protocol

from pydantic import BaseModel, ConfigDict, Field

from civicid.accounts.models import AccountStatus
from civicid.core.inputs import Flag, RowId


class HolderAccount(Protocol):
    """What other capabilities read of an account, whether they hold the row or an :class:`AccountRead`.

    The sign-in of the OpenID provider gets the row from the accounts' password check and an
    :class:`AccountRead` from :func:`civicid.accounts.service.find_account`; both answer these.
    """

    @property
    def id(self) -> str: ...
    @property
    def person_id(self) -> int: ...
    @property
    def phone(self) -> str | None: ...
    @property
    def level(self) -> int: ...
    @property
    def status(self) -> AccountStatus: ...


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
    documents_pending: int = 0


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


class SecurityQuestionRead(BaseModel):
    id: str
    vi: str
    en: str


class ChallengeOut(BaseModel):
    """A single-use nonce for one device proof (``civicid-device-proof/2``)."""

    nonce: str
    expires_in_seconds: int


class PasscodeIn(BaseModel):
    passcode: str = Field(min_length=1, max_length=10)


class HolderCodeIn(BaseModel):
    """ID number and password: what a lost-phone lock or an unlock starts with, from any browser."""

    id_number: str = Field(min_length=1, max_length=20)
    password: str = _SECRET


class LostPhoneIn(HolderCodeIn):
    code: str = Field(min_length=1, max_length=10)


class UnlockIn(LostPhoneIn):
    passcode: str = Field(min_length=1, max_length=10)


class LockOut(BaseModel):
    status: AccountStatus
    grounds: list[str]


class LockRead(BaseModel):
    """One lock of the account, with its ground and its lifting: the account's locking history."""

    id: str
    ground: str
    reason: str
    placed_by: str
    placed_at: dt.datetime
    lifted_by: str | None
    lifted_at: dt.datetime | None
    lift_reason: str | None


class LockIn(BaseModel):
    ground: str = Field(description="tk03 (the holder's form at the police), breach or authority.")
    reason: str = Field(min_length=1, max_length=200, description="Form number or decision; no personal data.")


class LiftIn(BaseModel):
    reason: str = Field(min_length=1, max_length=200)


class HolderAccountRead(BaseModel):
    """The holder's own account, as the app shows it; the phone number is masked."""

    account_id: str
    level: int
    status: AccountStatus
    activated_at: dt.datetime | None
    phone: str | None
    device_id: str
    session_expires_at: dt.datetime


class DeviceRead(BaseModel):
    device_id: str
    bound_at: dt.datetime
    current: bool


class HistoryEntryRead(BaseModel):
    seq: int
    at: dt.datetime
    action: str
    actor_kind: str
    actor: str
    details: dict[str, Any]


class HistoryPage(BaseModel):
    entries: list[HistoryEntryRead]
    next_before: int | None = Field(description="Pass as ?before= for the next (older) page; null at the end.")


# Everyone gets an account: level 1 on the phone, children, assisted activation. Images travel as base64
# in JSON like the rest of the holder's API; their lengths cap the body (a selfie of 2 MiB, a card photo
# of 4 MiB, in base64's 4/3).
class Level1In(BaseModel):
    id_number: str = Field(min_length=1, max_length=20)
    phone: str = Field(min_length=1, max_length=20)
    selfie_base64: str = Field(min_length=1, max_length=2_800_000)
    card_image_base64: str = Field(min_length=1, max_length=5_600_000)


class Level1Out(BaseModel):
    account_id: str
    expires_in_seconds: int
    simulated: bool  # the face match is the simulator's: the app says so


class ChildIn(BaseModel):
    id_number: str = Field(min_length=1, max_length=20)


class ChildRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    account_id: str
    full_name: str
    date_of_birth: dt.date
    age: int
    turns_14_on: dt.date
    move_soon: bool
    must_move: bool
    card_by_request: bool


class AssistedIn(BaseModel):
    person_id: RowId
    identity_checked: Flag
    consent: Flag
    delivery: str = Field(pattern="^(sms|screen)$")
    contact_phone: str | None = Field(default=None, max_length=20)
    contact_relation: str = Field(min_length=1, max_length=40)


class AssistedOut(BaseModel):
    activation_id: str
    account_id: str
    delivery: str
    code_on_screen: str | None
    phone_masked: str | None
    expires_in_seconds: int


class AssistedConfirmIn(BaseModel):
    code: str = Field(min_length=1, max_length=10)
