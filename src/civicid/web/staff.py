"""Tables of staff accounts and their login sessions.

Staff are the people who run the platform (administrators, commune police, steering committees);
citizens have e-ID accounts elsewhere (``accounts/``). Passwords are stored only as Argon2id hashes
and session tokens only as SHA-256 hashes (DESIGN.md decision 10): a copy of the database lets
nobody log in.
"""

from __future__ import annotations

import datetime as dt
from enum import StrEnum

from sqlalchemy import Boolean, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from civicid.core.database import Base
from civicid.core.types import UTCDateTime, str_enum


class StaffRole(StrEnum):
    ADMIN = "admin"
    SUPERVISOR = "supervisor"
    OPERATOR = "operator"
    COMMITTEE = "committee"


class StaffAccount(Base):
    __tablename__ = "staff_account"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    username: Mapped[str] = mapped_column(String(60), unique=True)
    password_hash: Mapped[str] = mapped_column(String(255))
    # Stored as a plain string with a CHECK, identical on SQLite and PostgreSQL.
    role: Mapped[StaffRole] = mapped_column(str_enum(StaffRole))
    # The commune an operator or supervisor serves; None means every commune (administrators).
    commune_code: Mapped[str | None] = mapped_column(String(5), index=True)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    failed_logins: Mapped[int] = mapped_column(Integer, default=0)
    locked_until: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())


class StaffSession(Base):
    __tablename__ = "staff_session"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("staff_account.id"), index=True)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    expires_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    revoked: Mapped[bool] = mapped_column(Boolean, default=False)
