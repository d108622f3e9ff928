"""The append-only, hash-chained audit log (DESIGN.md decision 13).

Every change to identity data and every read of a person's record appends one entry in the same
transaction as its cause. Each entry's hash covers its content and the previous entry's hash, so
removing or editing an entry breaks the chain at that point, which :func:`verify_chain` finds.
Removing the last entries, or editing one and recomputing every later hash, leaves a chain that
links: signed checkpoints of the chain show those (``core/audit_checkpoint.py``, decision 0033).

Entries name the actor, the action and the subject's id, and list the *names* of changed fields;
they never hold the personal data itself.
"""

from __future__ import annotations

import datetime as dt
import getpass
import hashlib
import json
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import JSON, BigInteger, Connection, Integer, String, TextClause, bindparam, func, insert, select, text
from sqlalchemy.orm import Mapped, Session, mapped_column

from civicid.core.clock import Clock
from civicid.core.crypto.canonical import canonical_json
from civicid.core.database import Base
from civicid.core.dialects import on_postgresql
from civicid.core.types import UTCDateTime

GENESIS_HASH = "0" * 64
AUDIT_FORMAT = "civicid-audit/1"


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


def content_digest(content: dict[str, Any]) -> str:
    """SHA-256 of the entry's RFC 8785 canonical JSON, so it does not depend on key order or spacing."""
    canonical = _canonical_entry(content)
    if canonical is None:
        canonical = canonical_json({"format": AUDIT_FORMAT, **content})
    return hashlib.sha256(canonical).hexdigest()


_MEMBERS = frozenset({"at", "actor", "action", "subject_type", "subject_id", "details"})
_TEXT_MEMBERS = ("action", "actor", "at", "subject_id", "subject_type")
# The standard library's JSON string encoder (C), without ASCII escaping: RFC 8785's form of a string.
_encode_string = json.encoder.encode_basestring


def _canonical_entry(content: dict[str, Any]) -> bytes | None:
    """The same bytes as ``canonical_json`` for an entry as hashed, written member by member; None otherwise.

    An entry is hashed about four times per application on the enrollment path, and the generic
    canonicaliser walks every member to check it needs no special form. Here only ``details`` is
    walked: the other members are the entry's own strings, which RFC 8785 writes as the standard
    library's C string encoder does (the escapes of §3.2.2.2, everything else as UTF-8), and the keys
    are laid out in their code-point order. Anything else (another member, a non-``str`` value, a
    lone surrogate) goes to ``canonical_json`` as before. The tests compare both.
    """
    if content.keys() != _MEMBERS or any(type(content[member]) is not str for member in _TEXT_MEMBERS):
        return None
    try:
        text = {member: _encode_string(content[member]).encode("utf-8") for member in _TEXT_MEMBERS}
    except UnicodeEncodeError:  # a lone surrogate: canonical_json refuses it with its own error
        return None
    return b"".join(
        (
            b'{"action":',
            text["action"],
            b',"actor":',
            text["actor"],
            b',"at":',
            text["at"],
            b',"details":',
            canonical_json(content["details"]),
            b',"format":"' + AUDIT_FORMAT.encode("ascii") + b'","subject_id":',
            text["subject_id"],
            b',"subject_type":',
            text["subject_type"],
            b"}",
        )
    )


def chain_hash(prev_hash: str, digest: str) -> str:
    """The link: SHA-256 over the previous entry's hash and this entry's digest, both in hex.

    PostgreSQL computes the same in ``civicid_audit_append`` (migration 0001).
    """
    return hashlib.sha256((prev_hash + digest).encode("ascii")).hexdigest()


def hashed_content(entry: AuditEntry) -> dict[str, Any]:
    return _hashed(
        {
            "at": entry.at,
            "actor": entry.actor,
            "action": entry.action,
            "subject_type": entry.subject_type,
            "subject_id": entry.subject_id,
            "details": entry.details,
        }
    )


def _hashed(content: dict[str, Any]) -> dict[str, Any]:
    """The entry as hashed: the time in UTC to the microsecond, whatever the database returns."""
    return {**content, "at": content["at"].astimezone(dt.UTC).isoformat(timespec="microseconds")}


# Built once: building and hashing a statement per append costs more than running it.
_INSERT = insert(AuditEntry)
_LAST_HASH = select(AuditEntry.entry_hash).order_by(AuditEntry.seq.desc()).limit(1)


def pg_append_after(writes: str = "") -> TextClause:
    """PostgreSQL's append (``civicid_audit_append``), after the data-modifying CTEs ``writes`` if any.

    A command whose other writes are single-row INSERTs can make them and the append one round
    trip (``WITH <writes> SELECT … FROM civicid_audit_append(…)``), with the parameters of
    :func:`entry` and its own. Built once by the caller.
    """
    prefix = f"WITH {writes} " if writes else ""
    # ``writes`` is the caller's constant SQL, built at import; every value is bound.
    return text(
        f"{prefix}SELECT out_seq, out_prev, out_hash FROM civicid_audit_append("  # noqa: S608
        ":at, :actor, :action, :subject_type, :subject_id, :details, :digest)"
    ).bindparams(bindparam("at", type_=UTCDateTime()), bindparam("details", type_=JSON()))


_PG_APPEND = pg_append_after()


def entry(
    *, clock: Clock, actor: Actor, action: str, subject_type: str, subject_id: str, details: dict[str, Any] | None
) -> dict[str, Any]:
    """An entry's content and its ``digest``: what an append binds (:func:`record`, :func:`pg_append_after`)."""
    content = {
        "at": clock.now(),
        "actor": str(actor),
        "action": action,
        "subject_type": subject_type,
        "subject_id": subject_id,
        "details": details or {},
    }
    return {**content, "digest": content_digest(_hashed(content))}


def record(
    *,
    session: Session,
    clock: Clock,
    actor: Actor,
    action: str,
    subject_type: str,
    subject_id: str,
    details: dict[str, Any] | None = None,
) -> None:
    """Append one entry to the chain, in the caller's transaction.

    This runs on every read of a record, so it is one round trip on PostgreSQL (a function that
    takes the chain's advisory lock, reads the last hash and inserts) and goes past the ORM: no
    ``AuditEntry`` object is made for the row (read entries back with :func:`entries_for_subject`).
    """
    values = entry(
        clock=clock, actor=actor, action=action, subject_type=subject_type, subject_id=subject_id, details=details
    )
    connection = session.connection()
    if on_postgresql(connection):
        connection.execute(_PG_APPEND, values).one()
    else:
        # Every SQLite write transaction begins IMMEDIATE (core/database.py): no other writer can
        # append between this statement's read of the last hash and its insert.
        _with_chain_function(connection)
        connection.execute(_SQLITE_APPEND, values)


# SQLite's append in one statement, as PostgreSQL's function does it: the last hash read and the link
# computed inside the INSERT, the link by ``chain_hash`` registered on the connection (SQLite has no SHA-256).
_SQLITE_CHAIN = "civicid_audit_chain_hash"
_PREV = select(func.coalesce(_LAST_HASH.scalar_subquery(), GENESIS_HASH).label("hash")).subquery("prev")
_SQLITE_APPEND = insert(AuditEntry).from_select(
    ["at", "actor", "action", "subject_type", "subject_id", "details", "prev_hash", "entry_hash"],
    select(
        bindparam("at", type_=UTCDateTime()),
        bindparam("actor", type_=String()),
        bindparam("action", type_=String()),
        bindparam("subject_type", type_=String()),
        bindparam("subject_id", type_=String()),
        bindparam("details", type_=JSON()),
        _PREV.c.hash,
        getattr(func, _SQLITE_CHAIN)(_PREV.c.hash, bindparam("digest", type_=String()), type_=String()),
    ),
)


def _with_chain_function(connection: Connection) -> None:
    """Register :func:`chain_hash` on this SQLite connection, once per connection the pool holds."""
    if _SQLITE_CHAIN not in connection.info:
        driver = connection.connection.driver_connection
        driver.create_function(_SQLITE_CHAIN, 2, chain_hash, deterministic=True)  # type: ignore[union-attr]
        connection.info[_SQLITE_CHAIN] = True


_CHAIN_LOCK = text("SELECT pg_advisory_xact_lock(202219729)")  # the key civicid_audit_append takes


def record_many(
    *, session: Session, clock: Clock, actor: Actor, entries: Sequence[tuple[str, str, str, dict[str, Any]]]
) -> None:
    """Append ``(action, subject_type, subject_id, details)`` entries in order, in one INSERT.

    The chain's lock is taken once (PostgreSQL: the advisory lock of ``civicid_audit_append``;
    SQLite: the write transaction), the last hash read once, and the links computed here, exactly as
    :func:`record` computes them one at a time. For the set-based pipeline stages (decision 0020).
    """
    if not entries:
        return
    connection = session.connection()
    if on_postgresql(connection):
        connection.execute(_CHAIN_LOCK)
    prev_hash = connection.execute(_LAST_HASH).scalar() or GENESIS_HASH
    at = clock.now()
    rows = []
    for action, subject_type, subject_id, details in entries:
        content = {
            "at": at,
            "actor": str(actor),
            "action": action,
            "subject_type": subject_type,
            "subject_id": subject_id,
            "details": details,
        }
        entry_hash = chain_hash(prev_hash, content_digest(_hashed(content)))
        rows.append({**content, "prev_hash": prev_hash, "entry_hash": entry_hash})
        prev_hash = entry_hash
    connection.execute(insert(AuditEntry), rows)


@dataclass(frozen=True)
class ChainReport:
    entries: int
    intact: bool
    first_broken_seq: int | None


@dataclass(frozen=True)
class Link:
    """One entry as :func:`walk_chain` found it: its seq, its hash, and whether it links to the one before."""

    seq: int
    entry_hash: str
    linked: bool


def walk_chain(
    *, session: Session, after_seq: int = 0, prev_hash: str = GENESIS_HASH, batch: int = 5000
) -> Iterator[Link]:
    """The entries after ``after_seq`` in order, the first expected to follow ``prev_hash``.

    An entry links when its ``prev_hash`` is the hash before it and its ``entry_hash`` is
    :func:`chain_hash` of that and its content. The walk stops after the first entry that does not
    link: past it the hashes vouch for nothing. Read in batches, so a long log is never held whole.
    """
    prev = prev_hash
    cursor = after_seq
    while True:
        rows = session.scalars(
            select(AuditEntry).where(AuditEntry.seq > cursor).order_by(AuditEntry.seq).limit(batch)
        ).all()
        if not rows:
            return
        for entry in rows:
            linked = entry.prev_hash == prev and (
                chain_hash(prev, content_digest(hashed_content(entry))) == entry.entry_hash
            )
            yield Link(seq=entry.seq, entry_hash=entry.entry_hash, linked=linked)
            if not linked:
                return
            prev = entry.entry_hash
            cursor = entry.seq


def verify_chain(*, session: Session, batch: int = 5000) -> ChainReport:
    """Walk the whole chain and say where, if anywhere, an entry was changed or removed in place.

    Links alone cannot show the last entries removed, or an entry changed with every later link
    recomputed: the signed checkpoints can (``core/audit_verify.py``, decision 0033).
    """
    count = 0
    for link in walk_chain(session=session, batch=batch):
        if not link.linked:
            return ChainReport(entries=count, intact=False, first_broken_seq=link.seq)
        count += 1
    return ChainReport(entries=count, intact=True, first_broken_seq=None)


def last_seq(*, session: Session) -> int:
    """The seq of the chain's head; 0 for an empty log (seq values start at 1)."""
    return session.scalar(select(func.max(AuditEntry.seq))) or 0


def entries_for_subject(*, session: Session, subject_type: str, subject_id: str) -> Sequence[AuditEntry]:
    """What happened to one record: what a citizen sees when reading their own audit trail."""
    return session.scalars(
        select(AuditEntry)
        .where(AuditEntry.subject_type == subject_type, AuditEntry.subject_id == subject_id)
        .order_by(AuditEntry.seq)
    ).all()


def page_for_subject(
    *,
    session: Session,
    subject_type: str,
    subject_id: str,
    since: dt.datetime,
    before_seq: int | None = None,
    limit: int = 50,
) -> Sequence[AuditEntry]:
    """One page of a record's history, newest first, from ``since`` on; the next page starts before the last seq."""
    query = select(AuditEntry).where(
        AuditEntry.subject_type == subject_type, AuditEntry.subject_id == subject_id, AuditEntry.at >= since
    )
    if before_seq is not None:
        query = query.where(AuditEntry.seq < before_seq)
    return session.scalars(query.order_by(AuditEntry.seq.desc()).limit(limit)).all()


def count_entries(*, session: Session) -> int:
    return session.scalar(select(func.count()).select_from(AuditEntry)) or 0


def cli_actor() -> Actor:
    """The operating-system account that ran a ``civicid`` command on the server."""
    return Actor("cli", getpass.getuser())
