"""The wallet's tables: one row per document a holder asked to integrate, whatever its agency answered,
and the holder's portrait from enrollment for the e-ID card, encrypted at rest."""

from __future__ import annotations

import datetime as dt
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, Date, ForeignKey, Index, LargeBinary, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from civicid.agencies.ports import RecordStatus
from civicid.core.database import Base
from civicid.core.types import UTCDateTime, str_enum

# The wallet's agency sections are form TK01's kinds: one list, the packet format's (DOMAIN.md).
from civicid.country.documents import DocumentKind

__all__ = ["DocumentKind", "DocumentStatus", "RecordStatus", "WalletDocument", "WalletPortrait"]


class DocumentStatus(StrEnum):
    REQUESTED = "requested"  # handed over from an issued application; waits for the holder's activation
    PENDING = "pending"  # the agency could not be reached: a job asks again (never a refusal)
    INTEGRATED = "integrated"  # the owning agency confirmed the key fields; its facts are kept
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
    # Where the request came from: "application:<id>" for form TK01, "holder" for the app.
    source: Mapped[str] = mapped_column(String(100))
    requested_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    # When the agency first confirmed the document (integrated), or refused it.
    decided_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    # The agency's last answer, kept for the holder to see without asking again: who answered
    # ({"vi", "en", "simulated"}), its facts, its record's status and validity, and when.
    agency: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    facts: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    record_status: Mapped[RecordStatus | None] = mapped_column(str_enum(RecordStatus))
    valid_until: Mapped[dt.date | None] = mapped_column(Date)
    checked_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())


class WalletPortrait(Base):
    """The portrait captured at level-2 enrollment, as a small thumbnail for the e-ID card.

    ``sealed`` is AES-256-GCM under the portrait key (derived from the master key), bound to the
    holder and the media type, so that a row moved to another holder does not open.
    """

    __tablename__ = "wallet_portrait"

    person_id: Mapped[int] = mapped_column(ForeignKey("person.id"), primary_key=True)
    media_type: Mapped[str] = mapped_column(String(40))
    sealed: Mapped[bytes] = mapped_column(LargeBinary)
    source: Mapped[str] = mapped_column(String(100))  # "application:<id>"
    stored_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
