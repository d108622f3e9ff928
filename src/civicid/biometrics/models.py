"""The template store: one row per stored template, and one tombstone row per deletion.

``seq`` is a change log as well as the key: processes holding an in-memory gallery read the rows
after their cursor and apply them in order (a data row inserts, a tombstone deletes), so every
process converges on the database's content without reloading it. ``vector`` holds the sealed
(AES-GCM) float32 little-endian vector; tombstones have none. See docs/decisions/0005.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import BigInteger, Index, Integer, LargeBinary, String
from sqlalchemy.orm import Mapped, mapped_column

from civicid.core.database import Base
from civicid.core.types import UTCDateTime

# SQLite only autoincrements an INTEGER PRIMARY KEY; PostgreSQL gets a 64-bit identity.
SeqType = BigInteger().with_variant(Integer(), "sqlite")


class BiometricTemplate(Base):
    __tablename__ = "biometric_template"
    __table_args__ = (Index("ix_biometric_template_reference", "reference_id", "modality"),)

    seq: Mapped[int] = mapped_column(SeqType, primary_key=True, autoincrement=True)
    reference_id: Mapped[str] = mapped_column(String(64))
    modality: Mapped[str] = mapped_column(String(16))
    model: Mapped[str] = mapped_column(String(64))
    model_version: Mapped[str] = mapped_column(String(32))
    dim: Mapped[int] = mapped_column(Integer)
    vector: Mapped[bytes | None] = mapped_column(LargeBinary)
    quality: Mapped[float | None]
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
