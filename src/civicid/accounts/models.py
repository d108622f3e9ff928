"""The accounts' tables: one e-ID account per person, one account per phone number, and what
activation adds to it (SMS codes, credentials, the bound device, the holder's sessions)."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import JSON, CheckConstraint, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from civicid.accounts.statuses import AccountStatus as AccountStatus
from civicid.accounts.statuses import AssistedDelivery as AssistedDelivery
from civicid.accounts.statuses import CodePurpose as CodePurpose
from civicid.accounts.statuses import LockGround as LockGround
from civicid.core.database import Base
from civicid.core.types import UTCDateTime, str_enum

LEVELS = (1, 2)


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


# The campaign's activation tally reads accounts by activation (migration 0006's triggers, 0016).
Index("ix_eid_account_activated", EidAccount.activated_at)


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
    failed_passcodes: Mapped[int] = mapped_column(Integer, default=0)
    passcode_locked_until: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
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


class AccountChallenge(Base):
    """A single-use nonce the server handed out for one device proof (``devices.py``); only its SHA-256 is kept.

    A proof that answers no live challenge, or one already answered, is refused: a captured proof
    cannot be replayed, not even within its two minutes.
    """

    __tablename__ = "account_challenge"

    nonce_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    expires_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), index=True)


#: Grounds the registry decides: placed and lifted by the records themselves, never by a person.
AUTOMATIC_GROUNDS = frozenset({LockGround.DEATH, LockGround.CARD_INVALID})
#: Grounds an officer places on form TK03 or by decision, and a supervisor lifts.
OFFICER_GROUNDS = frozenset({LockGround.TK03, LockGround.BREACH, LockGround.AUTHORITY})


class AccountLock(Base):
    """One ground for which an account is locked; the account is locked while any of its locks is unlifted.

    Rows are never deleted: the locks and their lifting are the account's locking history.
    """

    __tablename__ = "account_lock"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    account_id: Mapped[str] = mapped_column(ForeignKey("eid_account.id"), index=True)
    ground: Mapped[LockGround] = mapped_column(str_enum(LockGround))
    # A short reason in the officer's or the holder's words ("lost_phone", "TK03 no. 17/2026"); no personal data.
    reason: Mapped[str] = mapped_column(String(200))
    placed_by: Mapped[str] = mapped_column(String(100))
    placed_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    lifted_by: Mapped[str | None] = mapped_column(String(100))
    lifted_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    lift_reason: Mapped[str | None] = mapped_column(String(200))


# Everyone gets an account (issue 19): level 1 on the phone, children under a parent, assisted activation.


class Level1Attempt(Base):
    """One self-registration attempt at level 1, whatever its outcome: the per-day limits count these rows.

    The ID number and the phone are kept as SHA-256 digests (``accounts/level1.py`` ``subject_digest``):
    enough to count attempts per number, not a second copy of who tried.
    """

    __tablename__ = "level1_attempt"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    id_number_digest: Mapped[str] = mapped_column(String(64), index=True)
    phone_digest: Mapped[str] = mapped_column(String(64), index=True)
    attempted_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), index=True)
    outcome: Mapped[str] = mapped_column(String(40))  # "registered" or the refusal's reason
    account_id: Mapped[str | None] = mapped_column(ForeignKey("eid_account.id"))


class GuardedAccount(Base):
    """A child's level-1 account, added by a level-2 parent under the parent's phone (DOMAIN.md, under 14).

    The child's account has no phone of its own (one phone number, one account): the parent's account
    answers for it until the child, at 14, brings it to their own phone and level 2.
    """

    __tablename__ = "guarded_account"

    account_id: Mapped[str] = mapped_column(ForeignKey("eid_account.id"), primary_key=True)
    guardian_account_id: Mapped[str] = mapped_column(ForeignKey("eid_account.id"), index=True)
    added_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())


class AssistedActivation(Base):
    """An activation done face to face by an operator for someone without a smartphone: the consent record.

    Who (the account), when, which operator, which phone, how the code travelled; the code's Argon2id
    hash lives here until it is typed (single-use, expiring, attempt-limited like every code).
    """

    __tablename__ = "assisted_activation"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    account_id: Mapped[str] = mapped_column(ForeignKey("eid_account.id"), index=True)
    operator: Mapped[str] = mapped_column(String(100))
    commune_code: Mapped[str] = mapped_column(String(5), index=True)
    contact_phone: Mapped[str | None] = mapped_column(String(20), index=True)
    contact_relation: Mapped[str] = mapped_column(String(40))  # "self", "child", "grandchild", "relative"…
    delivery: Mapped[AssistedDelivery] = mapped_column(str_enum(AssistedDelivery))
    consent_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    code_hash: Mapped[str] = mapped_column(String(200))
    expires_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    failed_attempts: Mapped[int] = mapped_column(Integer, default=0)
    confirmed_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
