"""The append-only, hash-chained audit log (DESIGN.md decision 13).

Every change to identity data and every read of a person's record appends one entry in the same
transaction as its cause. Each entry's hash covers its content and the previous entry's hash, so
removing or editing an entry breaks the chain at that point, which :func:`verify_chain` finds.

Entries name the actor, the action and the subject's id, and list the *names* of changed fields;
they never hold the personal data itself.
"""

from __future__ import annotations

import datetime as dt
import getpass
import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import rfc8785
from sqlalchemy import JSON, BigInteger, Integer, String, func, select, text
from sqlalchemy.orm import Mapped, Session, mapped_column

from civicid.core.clock import Clock
from civicid.core.database import Base
from civicid.core.types import UTCDateTime

GENESIS_HASH = "0" * 64
AUDIT_FORMAT = "civicid-audit/1"
# Any constant works: it names the one advisory lock that serialises appends on PostgreSQL.
_PG_CHAIN_LOCK = 0x0C1D_A0D1


class AuditEntry(Base):
    __tablename__ = "audit_entry"

    seq: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True)
    at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    actor: Mapped[str] = mapped_column(String(100))
    action: Mapped[str] = mapped_column(String(60))
    subject_type: Mapped[str] = mapped_column(String(40))
    subject_id: Mapped[str] = mapped_column(String(64), index=True)
    details: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    prev_hash: Mapped[str] = mapped_column(String(64))
    entry_hash: Mapped[str] = mapped_column(String(64), unique=True)


@dataclass(frozen=True)
class Actor:
    """Who did something: a staff member, a citizen, or a named system process."""

    kind: str
    name: str

    def __str__(self) -> str:
        return f"{self.kind}:{self.name}"


SYSTEM = Actor("system", "civicid")


def _entry_hash(prev_hash: str, content: dict[str, Any]) -> str:
    # RFC 8785 canonical JSON, so the hash does not depend on key order or spacing.
    payload = rfc8785.dumps({"format": AUDIT_FORMAT, "prev": prev_hash, **content})
    return hashlib.sha256(payload).hexdigest()


def _content(entry: AuditEntry) -> dict[str, Any]:
    return {
        "at": entry.at.astimezone(dt.UTC).isoformat(timespec="microseconds"),
        "actor": entry.actor,
        "action": entry.action,
        "subject_type": entry.subject_type,
        "subject_id": entry.subject_id,
        "details": entry.details,
    }


def record(
    *,
    session: Session,
    clock: Clock,
    actor: Actor,
    action: str,
    subject_type: str,
    subject_id: str,
    details: dict[str, Any] | None = None,
) -> AuditEntry:
    """Append one entry to the chain, in the caller's transaction."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _PG_CHAIN_LOCK})
    # On SQLite every write transaction begins IMMEDIATE (core/database.py), which serialises appends.
    prev = session.execute(select(AuditEntry.entry_hash).order_by(AuditEntry.seq.desc()).limit(1)).scalar()
    entry = AuditEntry(
        at=clock.now(),
        actor=str(actor),
        action=action,
        subject_type=subject_type,
        subject_id=subject_id,
        details=details or {},
        prev_hash=prev or GENESIS_HASH,
    )
    entry.entry_hash = _entry_hash(entry.prev_hash, _content(entry))
    session.add(entry)
    return entry


@dataclass(frozen=True)
class ChainReport:
    entries: int
    intact: bool
    first_broken_seq: int | None


def verify_chain(*, session: Session, batch: int = 5000) -> ChainReport:
    """Walk the whole chain and say where, if anywhere, it was tampered with."""
    prev = GENESIS_HASH
    count = 0
    last_seq = 0
    while True:
        rows = session.scalars(
            select(AuditEntry).where(AuditEntry.seq > last_seq).order_by(AuditEntry.seq).limit(batch)
        ).all()
        if not rows:
            return ChainReport(entries=count, intact=True, first_broken_seq=None)
        for entry in rows:
            if entry.prev_hash != prev or _entry_hash(prev, _content(entry)) != entry.entry_hash:
                return ChainReport(entries=count, intact=False, first_broken_seq=entry.seq)
            prev = entry.entry_hash
            count += 1
            last_seq = entry.seq


def entries_for_subject(*, session: Session, subject_type: str, subject_id: str) -> Sequence[AuditEntry]:
    """What happened to one record: what a citizen sees when reading their own audit trail."""
    return session.scalars(
        select(AuditEntry)
        .where(AuditEntry.subject_type == subject_type, AuditEntry.subject_id == subject_id)
        .order_by(AuditEntry.seq)
    ).all()


def count_entries(*, session: Session) -> int:
    return session.scalar(select(func.count()).select_from(AuditEntry)) or 0


def cli_actor() -> Actor:
    """The operating-system account that ran a ``civicid`` command on the server."""
    return Actor("cli", getpass.getuser())
