"""Wrong passwords counted by the identifier asked for, whether an account has it or not.

A lock kept on the account row alone answered differently for a real identifier (locked after five
wrong passwords: 423 or 429) than for an unknown one (401 for ever), and so told who has an account
(issue 18, item 6). The logins keep their accounts' own counters (the staff pages and the holder's
history show them); for an identifier no account has, this table counts the same way, with the
same limit and lock, so that the answers match.

Rows are keyed by a SHA-256 of the realm and the identifier, not the identifier itself: the table
holds no ID number or username in clear. (An ID number has little entropy, so the digest hides it
from a glance, not from a search; the registry beside it holds the real ones in clear anyway.)
"""

from __future__ import annotations

import datetime as dt
import hashlib

from sqlalchemy import Integer, String, delete, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from civicid.core.clock import Clock
from civicid.core.database import Base
from civicid.core.types import UTCDateTime


class LoginThrottle(Base):
    __tablename__ = "login_throttle"

    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    failures: Mapped[int] = mapped_column(Integer, default=0)
    locked_until: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())


def throttle_key(realm: str, identifier: str) -> str:
    return hashlib.sha256(f"{realm}\x1f{identifier}".encode()).hexdigest()


def locked_until(*, session: Session, clock: Clock, realm: str, identifier: str) -> dt.datetime | None:
    """When the lock on this identifier lifts, if one stands now."""
    until = session.scalar(
        select(LoginThrottle.locked_until).where(LoginThrottle.key == throttle_key(realm, identifier))
    )
    return until if until is not None and until > clock.now() else None


def record_failure(
    *, session: Session, clock: Clock, realm: str, identifier: str, limit: int, lockout: dt.timedelta
) -> dt.datetime | None:
    """Count a wrong password; the end of the lock when this one reaches ``limit`` in a row, else None."""
    key = throttle_key(realm, identifier)
    row = session.get(LoginThrottle, key)
    if row is None:
        row = LoginThrottle(key=key, failures=0, locked_until=None)
        session.add(row)
    row.failures += 1
    if row.failures < limit:
        return None
    row.failures, row.locked_until = 0, clock.now() + lockout
    return row.locked_until


def forget(*, session: Session, realm: str, identifier: str) -> None:
    """The identifier logged in: its count starts again."""
    session.execute(delete(LoginThrottle).where(LoginThrottle.key == throttle_key(realm, identifier)))
