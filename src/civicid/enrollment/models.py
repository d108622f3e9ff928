"""Tables of the enrollment pipeline: applications, their uploaded parts and chunks, the timeline.

Intake is idempotent by construction (DESIGN.md decision 4): the application id is the primary key
(a second envelope under the same id is compared by hash, never inserted twice), and a chunk is
unique by ``(application, part, offset)``. Parts may arrive before their envelope, so chunks are
not tied to an application row by a foreign key.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import JSON, BigInteger, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from civicid.core.database import Base
from civicid.core.types import UTCDateTime, str_enum
from civicid.protocol.codes import ApplicationStatus

FINAL_STATUSES = frozenset(
    {
        ApplicationStatus.NEEDS_CORRECTION,
        ApplicationStatus.INELIGIBLE,
        ApplicationStatus.REJECTED_INTEGRITY,
        ApplicationStatus.REJECTED_DUPLICATE,
        ApplicationStatus.REJECTED,
        ApplicationStatus.ISSUED,
    }
)


class Application(Base):
    __tablename__ = "application"
    __table_args__ = (Index("ix_application_status", "status"), Index("ix_application_commune", "commune_code"))

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    envelope_jws: Mapped[str] = mapped_column(Text)
    envelope_hash: Mapped[str] = mapped_column(String(64))
    application_type: Mapped[str] = mapped_column(String(20))
    id_number: Mapped[str] = mapped_column(String(12), index=True)
    commune_code: Mapped[str] = mapped_column(String(5))
    village_id: Mapped[int] = mapped_column(Integer)
    device_id: Mapped[str] = mapped_column(String(64))
    operator: Mapped[str] = mapped_column(String(60))
    captured_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    received_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    status: Mapped[ApplicationStatus] = mapped_column(str_enum(ApplicationStatus))
    # A reason code, e.g. "date_of_birth_mismatch": words for it are in the pages' catalogue.
    status_reason: Mapped[str | None] = mapped_column(String(60))
    person_id: Mapped[int | None] = mapped_column(ForeignKey("person.id"))
    duplicate_of: Mapped[str | None] = mapped_column(String(64))
    best_score: Mapped[float | None] = mapped_column()
    decided_by: Mapped[str | None] = mapped_column(String(60))
    decided_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    # A server sequence number bumped on every status change: the field kit's down-sync cursor.
    change_seq: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), default=0, index=True)
    # The code printed on the kit's receipt (protocol.packet.receipt_code): how a citizen follows the
    # application without an account. Not unique: 40 bits may, rarely, repeat across a country.
    receipt_code: Mapped[str] = mapped_column(String(9), index=True)


# The campaign's missing list reads a village's applications (``queries.village_applications``).
Index("ix_application_village", Application.village_id)


class ApplicationPart(Base):
    """A declared part; ``blob`` is set once its chunks were assembled and matched the manifest."""

    __tablename__ = "application_part"

    application_id: Mapped[str] = mapped_column(ForeignKey("application.id"), primary_key=True)
    name: Mapped[str] = mapped_column(String(40), primary_key=True)
    kind: Mapped[str] = mapped_column(String(40))
    sha256: Mapped[str] = mapped_column(String(64))
    size: Mapped[int] = mapped_column(Integer)
    priority: Mapped[int] = mapped_column(Integer)
    blob: Mapped[str | None] = mapped_column(String(64))


class PartChunk(Base):
    """One uploaded byte range of a sealed part; its bytes are a blob named by their hash."""

    __tablename__ = "part_chunk"
    __table_args__ = (UniqueConstraint("application_id", "part_name", "offset"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    application_id: Mapped[str] = mapped_column(String(36), index=True)
    part_name: Mapped[str] = mapped_column(String(40))
    offset: Mapped[int] = mapped_column(Integer)
    size: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64))
    received_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())


class ApplicationEvent(Base):
    """The timeline the field kit receives back; each pipeline stage appears at most once."""

    __tablename__ = "application_event"
    __table_args__ = (UniqueConstraint("application_id", "stage"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    application_id: Mapped[str] = mapped_column(ForeignKey("application.id"), index=True)
    stage: Mapped[str] = mapped_column(String(40))
    outcome: Mapped[str] = mapped_column(String(40))
    reason: Mapped[str | None] = mapped_column(String(60))
    actor: Mapped[str] = mapped_column(String(100))
    at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    details: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)


class ProbeTemplate(Base):
    """The templates extracted from an application's sealed parts, encrypted, until it is decided.

    They are not in the gallery: only identities found unique (or cleared by adjudication) are.
    """

    __tablename__ = "probe_template"

    application_id: Mapped[str] = mapped_column(ForeignKey("application.id"), primary_key=True)
    modality: Mapped[str] = mapped_column(String(10), primary_key=True)
    sealed: Mapped[bytes] = mapped_column()
    model: Mapped[str] = mapped_column(String(60))
    model_version: Mapped[str] = mapped_column(String(20))


class ChangeCounter(Base):
    """One row per named sequence; PostgreSQL and SQLite alike (no native sequences needed)."""

    __tablename__ = "change_counter"

    name: Mapped[str] = mapped_column(String(40), primary_key=True)
    value: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), default=0)
