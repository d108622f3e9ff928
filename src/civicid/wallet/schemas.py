"""What the wallet takes and returns (pydantic), separate from its table."""

from __future__ import annotations

import datetime as dt

from pydantic import BaseModel, ConfigDict

from civicid.wallet.models import DocumentKind, DocumentStatus

WALLET_FORMAT = "civicid-wallet/1"


class DocumentIn(BaseModel):
    """A document as form TK01 lists it: its kind, its number and the agency's further key fields."""

    model_config = ConfigDict(frozen=True)

    kind: str
    number: str
    extra: dict[str, str] | None = None


class WalletDocumentRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: str
    kind: DocumentKind
    number: str
    extra: dict[str, str] | None
    status: DocumentStatus
    reason: str | None
    source: str
    requested_at: dt.datetime
    decided_at: dt.datetime | None


class WalletRead(BaseModel):
    """The holder's wallet as the app reads it; ``format`` names its version."""

    format: str = WALLET_FORMAT
    documents: list[WalletDocumentRead]
