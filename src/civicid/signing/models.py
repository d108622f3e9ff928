"""The signing capability's tables: its CA certificates, the citizens' signing certificates with their
status, the revocations the CRL and OCSP answer from, and the signing history.

The history keeps a document's SHA-256 and when it was signed, never its content or its name: a
document is the citizen's, and the server only vouches that this key signed that hash at that time.
"""

from __future__ import annotations

import datetime as dt
from enum import StrEnum

from sqlalchemy import ForeignKey, Index, LargeBinary, String
from sqlalchemy.orm import Mapped, mapped_column

from civicid.core.database import Base
from civicid.core.types import UTCDateTime, str_enum


class CaRole(StrEnum):
    ROOT = "root"  # self-signed; signs the citizen CA and the time-stamping unit
    CITIZEN = "citizen"  # signs the citizens' certificates, their CRL and OCSP responses
    TSA = "tsa"  # the RFC 3161 time-stamping unit (an end entity, not a CA)


class CertificateStatus(StrEnum):
    ACTIVE = "active"
    SUSPENDED = "suspended"  # on hold while the account is locked (RFC 5280 certificateHold)
    REVOKED = "revoked"  # for good: the holder asked, lost the phone, or died


class RevocationReason(StrEnum):
    """RFC 5280 §5.3.1 CRLReason, the ones CivicID uses."""

    KEY_COMPROMISE = "key_compromise"  # the phone was lost
    CESSATION_OF_OPERATION = "cessation_of_operation"  # the holder asked; or died
    SUPERSEDED = "superseded"  # a new certificate replaced it
    CERTIFICATE_HOLD = "certificate_hold"  # suspended while the account is locked


class SigningAuthority(Base):
    """A certificate of the signing hierarchy (its private key in the keystore, ``signing-ca-<role>``)."""

    __tablename__ = "signing_authority"

    role: Mapped[CaRole] = mapped_column(str_enum(CaRole), primary_key=True)
    serial: Mapped[str] = mapped_column(String(40), unique=True)  # hex
    certificate: Mapped[bytes] = mapped_column(LargeBinary)  # DER
    not_before: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    not_after: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())


class SigningCertificate(Base):
    """A citizen's signing certificate and where its private key is (``vault``, ``key_ref``)."""

    __tablename__ = "signing_certificate"
    __table_args__ = (Index("ix_signing_certificate_account", "account_id", "status"),)

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    account_id: Mapped[str] = mapped_column(ForeignKey("eid_account.id"))
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id"), index=True)
    serial: Mapped[str] = mapped_column(String(40), unique=True)  # hex
    status: Mapped[CertificateStatus] = mapped_column(str_enum(CertificateStatus))
    vault: Mapped[str] = mapped_column(String(20))  # "keystore" or "pkcs11"
    key_ref: Mapped[str] = mapped_column(String(80))
    certificate: Mapped[bytes] = mapped_column(LargeBinary)  # DER
    not_before: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    not_after: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    changed_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())


class SigningRevocation(Base):
    """An entry of the citizen CA's CRL: a hold (lifted when the account is unlocked) or a revocation."""

    __tablename__ = "signing_revocation"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    certificate_id: Mapped[str] = mapped_column(ForeignKey("signing_certificate.id"), index=True)
    serial: Mapped[str] = mapped_column(String(40), index=True)
    reason: Mapped[RevocationReason] = mapped_column(str_enum(RevocationReason))
    revoked_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    lifted_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())  # a hold's end (RFC 5280 removeFromCRL)


class SigningEvent(Base):
    """One document signed: its hash, when, at which PAdES level; never its content or name."""

    __tablename__ = "signing_event"
    __table_args__ = (Index("ix_signing_event_account", "account_id", "signed_at"),)

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    account_id: Mapped[str] = mapped_column(ForeignKey("eid_account.id"))
    certificate_id: Mapped[str] = mapped_column(ForeignKey("signing_certificate.id"))
    document_sha256: Mapped[str] = mapped_column(String(64))
    signed_sha256: Mapped[str] = mapped_column(String(64))
    level: Mapped[str] = mapped_column(String(10))  # "B-T" or "B-LT"
    channel: Mapped[str] = mapped_column(String(10))  # "app" or "cli"
    signed_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
