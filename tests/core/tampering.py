"""What an attacker with write access to the database can do to the audit log, with the package's own functions.

Shared by the tests of the checkpoints (test_audit_checkpoint.py) and of ``civicid db verify-audit``
(test_audit_cli.py): each is an attack that the hash chain alone does not show.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import delete, select

from civicid.core import audit
from civicid.core.audit_checkpoint import AuditCheckpoint
from civicid.core.clock import FixedClock
from civicid.core.database import unit_of_work
from civicid.core.runtime import Database


def append(database: Database, clock: FixedClock, count: int) -> list[int]:
    """Append ``count`` entries in one transaction; the seq of every entry in the log afterwards."""
    with unit_of_work(database.sessions) as session:
        for n in range(count):
            audit.record(
                session=session,
                clock=clock,
                actor=audit.Actor("staff", "officer"),
                action="person.read",
                subject_type="person",
                subject_id=str(n),
            )
    return seqs(database)


def seqs(database: Database) -> list[int]:
    with unit_of_work(database.sessions) as session:
        return list(session.scalars(select(audit.AuditEntry.seq).order_by(audit.AuditEntry.seq)))


def delete_entries_after(database: Database, seq: int, *, with_checkpoints: bool = False) -> None:
    """Truncate the log after entry ``seq``; with ``with_checkpoints``, the checkpoints after it too."""
    with unit_of_work(database.sessions) as session:
        session.execute(delete(audit.AuditEntry).where(audit.AuditEntry.seq > seq))
        if with_checkpoints:
            session.execute(delete(AuditCheckpoint).where(AuditCheckpoint.seq > seq))


def rewrite(database: Database, seq: int, details: dict[str, Any], *, recompute: bool = True) -> None:
    """Change entry ``seq``'s details; with ``recompute``, relink it and every later entry as ``audit`` would."""
    with unit_of_work(database.sessions) as session:
        entries = session.scalars(
            select(audit.AuditEntry).where(audit.AuditEntry.seq >= seq).order_by(audit.AuditEntry.seq)
        ).all()
        entries[0].details = details
        if not recompute:
            return
        before = select(audit.AuditEntry.entry_hash).where(audit.AuditEntry.seq < seq)
        prev = session.scalar(before.order_by(audit.AuditEntry.seq.desc()).limit(1)) or audit.GENESIS_HASH
        for entry in entries:
            entry.prev_hash = prev
            entry.entry_hash = audit.chain_hash(prev, audit.content_digest(audit.hashed_content(entry)))
            prev = entry.entry_hash
