"""The credentials' tables: the issuers' keys, their status lists, and every credential issued.

A credential's row keeps ids and times only, never what it disclosed: its profile, its holder (the
person), the document it attests, the key that signed it, and, for the long-lived ones, its slot in
the issuer's status list and its status there (decision 0042).
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import JSON, ForeignKey, Index, Integer, SmallInteger, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from civicid.core.database import Base
from civicid.core.types import UTCDateTime


class IssuerKeyRow(Base):
    """An issuer key (its private half in the keystore): when it signs, and until when it vouches."""

    __tablename__ = "credential_issuer_key"

    kid: Mapped[str] = mapped_column(String(16), primary_key=True)  # base64url of 8 bytes
    issuer: Mapped[str] = mapped_column(String(60), index=True)
    public_jwk: Mapped[dict[str, str]] = mapped_column(JSON)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    signs_from: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    signs_until: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    verify_until: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())


class StatusListRow(Base):
    """One issuer's Token Status List: ``size`` entries of ``bits`` each, drawn at random."""

    __tablename__ = "credential_status_list"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    issuer: Mapped[str] = mapped_column(String(60), unique=True)
    bits: Mapped[int] = mapped_column(SmallInteger)
    size: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())


class IssuedCredential(Base):
    __tablename__ = "issued_credential"
    __table_args__ = (
        # A slot is one credential's: random allocation retries on a collision (decision 0042).
        UniqueConstraint("status_list_id", "status_idx", name="uq_issued_credential_status_slot"),
        Index("ix_issued_credential_person", "person_id"),
    )

    id: Mapped[str] = mapped_column(String(32), primary_key=True)  # the cti (QR) or jti, in hex
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id"))
    profile: Mapped[str] = mapped_column(String(40))
    format: Mapped[str] = mapped_column(String(20))  # "qr-v1" or "sd-jwt-vc"
    document_id: Mapped[str | None] = mapped_column(String(36), index=True)
    kid: Mapped[str] = mapped_column(String(16))
    issued_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    expires_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    status_list_id: Mapped[int | None] = mapped_column(ForeignKey("credential_status_list.id"))
    status_idx: Mapped[int | None] = mapped_column(Integer)
    status: Mapped[int] = mapped_column(SmallInteger, default=0)  # status_list.Status
    revoked_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    revoked_reason: Mapped[str | None] = mapped_column(String(60))
    # What the credential disclosed, by field name only (never the values): for the holder's history.
    fields: Mapped[list[str] | None] = mapped_column(JSON)
