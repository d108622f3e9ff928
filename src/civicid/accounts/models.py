"""The accounts' tables: one e-ID account per person, one account per phone number, and what
activation adds to it (SMS codes, credentials, the bound device, the holder's sessions)."""

from __future__ import annotations

import datetime as dt
from enum import StrEnum

from sqlalchemy import JSON, CheckConstraint, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from civicid.core.database import Base
from civicid.core.types import UTCDateTime, str_enum

LEVELS = (1, 2)


class AccountStatus(StrEnum):
    PENDING_ACTIVATION = "pending_activation"  # issued; the holder has not activated it on a phone yet
    ACTIVE = "active"
    LOCKED = "locked"
    CLOSED = "closed"


class EidAccount(Base):
    __tablename__ = "eid_account"
    __table_args__ = (CheckConstraint("level IN (1, 2)", name="level"),)

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id"), unique=True)
    id_number: Mapped[str] = mapped_column(String(12), index=True)
    # One phone number, one account (Decree 69/2024). A unique constraint admits any number of NULLs
    # on both databases, so accounts without a phone do not collide.
    phone: Mapped[str | None] = mapped_column(String(20), unique=True)
    level: Mapped[int] = mapped_column(Integer)
    status: Mapped[AccountStatus] = mapped_column(str_enum(AccountStatus))
    issued_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    activated_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    # What the account was issued from: "application:<id>", "cli", …
    issued_from: Mapped[str] = mapped_column(String(100))
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())


class CodePurpose(StrEnum):
    ACTIVATION = "activation"  # the first binding of a device, after issue
    NEW_DEVICE = "new_device"  # moving the account to another phone; unbinds the old one


class AccountCode(Base):
    """The one live SMS code of an account for a purpose: a new request replaces the old code.

    Only the code's Argon2id hash is kept. Once the code is verified, the row carries the hash of a
    short-lived ticket that the following steps of the same flow present instead of the code.
    """

    __tablename__ = "account_code"

    account_id: Mapped[str] = mapped_column(ForeignKey("eid_account.id"), primary_key=True)
    purpose: Mapped[CodePurpose] = mapped_column(str_enum(CodePurpose), primary_key=True)
    code_hash: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    expires_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    failed_attempts: Mapped[int] = mapped_column(Integer, default=0)
    used_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    # Codes sent in the current window, which bounds the SMS one person can cause to be sent.
    window_started_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    sent_in_window: Mapped[int] = mapped_column(Integer, default=1)
    ticket_hash: Mapped[str | None] = mapped_column(String(64), unique=True)
    ticket_expires_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())


class AccountCredential(Base):
    """What the holder set at activation: password, passcode and two security questions, all hashed."""

    __tablename__ = "account_credential"

    account_id: Mapped[str] = mapped_column(ForeignKey("eid_account.id"), primary_key=True)
    password_hash: Mapped[str] = mapped_column(String(200))
    passcode_hash: Mapped[str] = mapped_column(String(200))
    question_1: Mapped[str] = mapped_column(String(40))
    answer_1_hash: Mapped[str] = mapped_column(String(200))
    question_2: Mapped[str] = mapped_column(String(40))
    answer_2_hash: Mapped[str] = mapped_column(String(200))
    failed_logins: Mapped[int] = mapped_column(Integer, default=0)
    login_locked_until: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    set_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())


class AccountDevice(Base):
    """The one device an account is bound to (DOMAIN.md): binding another replaces this row."""

    __tablename__ = "account_device"

    account_id: Mapped[str] = mapped_column(ForeignKey("eid_account.id"), primary_key=True)
    # RFC 7638 thumbprint of the device's P-256 public key: the device's id.
    device_id: Mapped[str] = mapped_column(String(64))
    public_jwk: Mapped[dict[str, str]] = mapped_column(JSON)
    bound_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())


class HolderSession(Base):
    """A holder's session on their bound device; only the token's SHA-256 is stored."""

    __tablename__ = "holder_session"

    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    account_id: Mapped[str] = mapped_column(ForeignKey("eid_account.id"), index=True)
    device_id: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    expires_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
