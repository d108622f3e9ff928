"""What the wallet takes and returns (pydantic), separate from its tables.

The holder's wallet is format ``civicid-wallet/1`` and the e-ID card ``civicid-card/1``; both are
described, field by field, in docs/formats/wallet-v1.md.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from civicid.accounts.statuses import AccountStatus
from civicid.agencies.ports import RecordStatus
from civicid.country.sex import Sex
from civicid.wallet.models import DocumentKind, DocumentStatus

WALLET_FORMAT = "civicid-wallet/1"
CARD_FORMAT = "civicid-card/1"


class DocumentIn(BaseModel):
    """A document as form TK01 lists it: its kind, its number and the agency's further key fields."""

    model_config = ConfigDict(frozen=True)

    kind: str
    number: str
    extra: dict[str, str] | None = None


class DocumentAdd(BaseModel):
    """A document the holder adds in the app: its kind, its number and its other key fields (``/kinds``)."""

    model_config = ConfigDict(extra="forbid")

    kind: str = Field(min_length=1, max_length=40)
    number: str = Field(min_length=1, max_length=64)
    fields: dict[str, str] = Field(default_factory=dict, max_length=10)


class AgencyRead(BaseModel):
    vi: str
    en: str
    simulated: bool


class WalletDocumentSummary(BaseModel):
    """A document as the wallet lists it, without the passcode: its number masked, no facts."""

    id: str
    kind: DocumentKind
    status: DocumentStatus
    masked_number: str
    reason: str | None
    record_status: RecordStatus | None
    valid_until: dt.date | None
    expiring_soon: bool
    revoked: bool
    expired: bool
    agency: AgencyRead | None
    source: str
    requested_at: dt.datetime
    verified_at: dt.datetime | None
    checked_at: dt.datetime | None


class WalletDocumentDetail(WalletDocumentSummary):
    """A document opened with the passcode: its number, its key fields and the agency's facts."""

    number: str
    fields: dict[str, str]
    facts: dict[str, Any] | None


class WalletRead(BaseModel):
    """The holder's wallet as the app reads it; ``format`` names its version."""

    format: str = WALLET_FORMAT
    documents: list[WalletDocumentSummary]


class KeyFieldRead(BaseModel):
    name: str
    vi: str
    en: str
    example: str
    pattern: str


class DocumentKindRead(BaseModel):
    """A kind the holder can add: who confirms it, and what to type (``number`` and each of ``fields``)."""

    kind: DocumentKind
    vi: str
    en: str
    agency: AgencyRead
    number: KeyFieldRead
    fields: list[KeyFieldRead]


class WalletKindsRead(BaseModel):
    format: str = WALLET_FORMAT
    kinds: list[DocumentKindRead]


class IdCardSummary(BaseModel):
    """The chip card the registry records: the valid one, or else the latest issued."""

    number: str
    issue_date: dt.date
    expiry_date: dt.date | None
    status: str  # the registry's: valid, expired, revoked or lost


class CardRead(BaseModel):
    """The e-ID card the app shows: the holder's identity from the registry, the account's level and
    status, the chip card the registry records, and where to fetch the enrollment portrait."""

    format: str = CARD_FORMAT
    full_name: str
    id_number: str
    date_of_birth: dt.date
    sex: Sex
    level: int
    account_status: AccountStatus
    card: IdCardSummary | None
    portrait: str | None
