"""The kit's own tables, in the kit's own SQLite database (``<data>/kit.db``).

They live on a separate :class:`KitBase`, so the server's migrations never see them and the kit never
holds a server table. The kit's schema carries its version (:data:`KIT_SCHEMA_VERSION`) in
:class:`KitIdentity`; a kit whose database is of another version refuses to open rather than guess.

What the kit stores: the registry extract of the assigned villages (names, dates of birth, ID
numbers, phones — what capture needs), visit outcomes and the signed envelopes, in a database that is
encrypted at rest (SQLCipher, ``core/database.py``) under a key only an operator's password unlocks
(``unlock.py``, decision 0068). What is never stored even there: anything biometric. Portraits,
templates and fingerprint images exist only as parts sealed to the central server's key, in files
named by the application id (``sealed/``).
"""

from __future__ import annotations

import datetime as dt
from enum import StrEnum

from sqlalchemy import JSON, Boolean, Date, ForeignKey, Integer, MetaData, String, Text
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from civicid.core.database import NAMING_CONVENTION
from civicid.core.types import UTCDateTime, str_enum

KIT_SCHEMA_VERSION = 2  # 2: kit.db encrypted at rest (SQLCipher), opened by an operator (decision 0068)


class KitBase(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class OutboxState(StrEnum):
    """Where a capture stands on its way to the server (``outbox.py`` holds the transitions)."""

    CAPTURED = "captured"  # sealed and stored; waits for the supervisor's end-of-day review
    APPROVED_ON_DEVICE = "approved_on_device"  # the supervisor approved it on the kit: ready to send
    UPLOADING = "uploading"  # the envelope or some priority-0 part is still on its way
    UPLOADED = "uploaded"  # the server holds every priority-0 part; its pipeline is at work
    ACCEPTED = "accepted"  # the server issued it (or the child's card): nothing left to do
    NEEDS_CORRECTION = "needs_correction"  # back to the operator with the server's reason
    REJECTED = "rejected"  # refused by the server (or the kit's supervisor), with the reason


class OperatorRole(StrEnum):
    OPERATOR = "operator"
    SUPERVISOR = "supervisor"


class KitIdentity(KitBase):
    """The single row that says which device this kit is and what it last heard from the server."""

    __tablename__ = "kit_identity"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    schema_version: Mapped[int] = mapped_column(Integer)
    device_id: Mapped[str] = mapped_column(String(64))
    commune_code: Mapped[str] = mapped_column(String(5))
    server_url: Mapped[str] = mapped_column(String(300))
    server_sealing_key: Mapped[str] = mapped_column(String(64))  # X25519, unpadded base64url
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    last_sync_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    last_server_time: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    # The kit's clock when it last read the server's time: the guard-rail compares the two drifts.
    last_server_time_local: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    cursor: Mapped[dict[str, str]] = mapped_column(JSON, default=dict)  # {"value": the server's opaque cursor}
    guardrails: Mapped[dict[str, float]] = mapped_column(JSON, default=dict)  # overrides of GuardRails
    assignment_version: Mapped[int] = mapped_column(Integer, default=-1)
    sync_attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_sync_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    last_sync_error: Mapped[str | None] = mapped_column(String(300))


class KitOperator(KitBase):
    """An operator or supervisor who logs in on this kit (password hashed with Argon2id)."""

    __tablename__ = "kit_operator"

    username: Mapped[str] = mapped_column(String(60), primary_key=True)
    full_name: Mapped[str] = mapped_column(String(200))
    role: Mapped[OperatorRole] = mapped_column(str_enum(OperatorRole))
    password_hash: Mapped[str] = mapped_column(String(200))
    failed_logins: Mapped[int] = mapped_column(Integer, default=0)


class KitVillage(KitBase):
    __tablename__ = "kit_village"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(120))
    signal: Mapped[str] = mapped_column(String(20))


class KitHousehold(KitBase):
    __tablename__ = "kit_household"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    village_id: Mapped[int] = mapped_column(Integer, index=True)
    number: Mapped[str] = mapped_column(String(20))
    address: Mapped[str] = mapped_column(String(200))


class KitPerson(KitBase):
    """A resident as capture needs them: the registry's fields the form is prefilled from."""

    __tablename__ = "kit_person"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    household_id: Mapped[int] = mapped_column(Integer, index=True)
    village_id: Mapped[int] = mapped_column(Integer)
    id_number: Mapped[str] = mapped_column(String(12))
    full_name: Mapped[str] = mapped_column(String(200))
    date_of_birth: Mapped[dt.date] = mapped_column(Date)
    sex: Mapped[str] = mapped_column(String(10))
    phone: Mapped[str | None] = mapped_column(String(20))
    has_smartphone: Mapped[bool] = mapped_column(Boolean, default=False)
    relation_to_head: Mapped[str] = mapped_column(String(40))
    # The server's latest word on this person's enrollment (e.g. "issued"), if any.
    enrollment_status: Mapped[str | None] = mapped_column(String(30))


class OutboxItem(KitBase):
    """One captured application on its way to the server; deleted never, emptied of parts when acknowledged."""

    __tablename__ = "outbox_item"

    application_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    short_code: Mapped[str] = mapped_column(String(12), unique=True)
    application_type: Mapped[str] = mapped_column(String(20))
    person_id: Mapped[int | None] = mapped_column(Integer, index=True)
    household_id: Mapped[int] = mapped_column(Integer)
    village_id: Mapped[int] = mapped_column(Integer)
    full_name: Mapped[str] = mapped_column(String(200))
    operator: Mapped[str] = mapped_column(String(60))
    captured_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    envelope_jws: Mapped[str] = mapped_column(Text)
    state: Mapped[OutboxState] = mapped_column(str_enum(OutboxState), index=True)
    reviewed_by: Mapped[str | None] = mapped_column(String(60))
    reviewed_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    server_status: Mapped[str | None] = mapped_column(String(30))
    server_message: Mapped[str | None] = mapped_column(String(500))
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    last_error: Mapped[str | None] = mapped_column(String(300))
    acknowledged_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())


class OutboxPart(KitBase):
    """A sealed part of an outbox item; its file is removed once the server holds the whole part."""

    __tablename__ = "outbox_part"

    application_id: Mapped[str] = mapped_column(ForeignKey("outbox_item.application_id"), primary_key=True)
    name: Mapped[str] = mapped_column(String(40), primary_key=True)
    kind: Mapped[str] = mapped_column(String(40))
    priority: Mapped[int] = mapped_column(Integer)
    size: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64))
    sent_bytes: Mapped[int] = mapped_column(Integer, default=0)  # the server's resume point, as last heard
    on_server: Mapped[bool] = mapped_column(Boolean, default=False)


class KitVisit(KitBase):
    """A visit outcome for a household or one of its members, sent to the server at sync."""

    __tablename__ = "kit_visit"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    household_id: Mapped[int] = mapped_column(Integer, index=True)
    person_id: Mapped[int | None] = mapped_column(Integer)
    outcome: Mapped[str] = mapped_column(String(20))
    note: Mapped[str | None] = mapped_column(String(300))
    operator: Mapped[str] = mapped_column(String(60))
    visited_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    synced: Mapped[bool] = mapped_column(Boolean, default=False, index=True)
