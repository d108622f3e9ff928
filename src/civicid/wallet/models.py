"""The wallet's table: one row per document a holder asked to integrate, whatever its agency answered."""

from __future__ import annotations

import datetime as dt
from enum import StrEnum

from sqlalchemy import JSON, ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from civicid.core.database import Base
from civicid.core.types import UTCDateTime, str_enum

# The wallet's agency sections are form TK01's kinds: one list, the packet format's (DOMAIN.md).
from civicid.country.documents import DocumentKind

__all__ = ["DocumentKind", "DocumentStatus", "WalletDocument"]


class DocumentStatus(StrEnum):
    REQUESTED = "requested"  # handed over from an issued application; waits for the holder's activation
    INTEGRATED = "integrated"  # the owning agency confirmed the key fields
    REFUSED = "refused"  # the agency did not confirm them; ``reason`` says why


class WalletDocument(Base):
    __tablename__ = "wallet_document"
    __table_args__ = (
        # A holder has a document once, however many applications listed it: the hand-over is idempotent.
        UniqueConstraint("person_id", "kind", "number", name="uq_wallet_document_holder_kind_number"),
        Index("ix_wallet_document_status", "status"),
    )

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id"), index=True)
    kind: Mapped[DocumentKind] = mapped_column(str_enum(DocumentKind))
    number: Mapped[str] = mapped_column(String(64))
    # Further key fields the agency needs (a licence's class, a card's issuing unit); none is personal
    # data beyond the document itself.
    extra: Mapped[dict[str, str] | None] = mapped_column(JSON)
    status: Mapped[DocumentStatus] = mapped_column(str_enum(DocumentStatus))
    reason: Mapped[str | None] = mapped_column(String(60))
    # Where the request came from: "application:<id>" for form TK01.
    source: Mapped[str] = mapped_column(String(100))
    requested_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    decided_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
