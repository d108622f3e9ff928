"""Signed checkpoints of the audit chain: what makes truncation and rewriting visible (decision 0033).

The hash chain (``core/audit.py``) shows an entry changed or removed in place. It cannot show the
last entries removed, or an entry changed with every later link recomputed, since anyone who can
write to the database can run the same hash functions. A checkpoint fixes one point of the chain
with a signature that only the server's audit key (``keystore.audit_signing_key``) can make::

    {"format": "civicid-audit-checkpoint/1", "seq": 1200, "entry_hash": "…", "entries": 1187, "at": "…"}

``entry_hash`` is the hash of entry ``seq``, which covers every entry before it; ``entries`` counts
the entries up to and including it (seq values have gaps on PostgreSQL, where a rolled-back append
spends one). The payload is the RFC 8785 canonical JSON of these members, signed as a compact JWS
(RFC 7515, ES256) of explicit type ``civicid-audit-checkpoint+jws`` (RFC 8725 §3.11).

Each checkpoint is stored in ``audit_checkpoint`` and exported to a witness file outside the
database (``core/audit_witness.py``); ``core/audit_verify.py`` checks the chain against both. The
table has no foreign key to ``audit_entry``: a checkpoint must outlive the entry it names.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from dataclasses import dataclass
from typing import Any

from cryptography.hazmat.primitives.asymmetric import ec
from sqlalchemy import BigInteger, Integer, String, Text, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from civicid.core import audit
from civicid.core.clock import Clock
from civicid.core.crypto.canonical import canonical_json
from civicid.core.crypto.errors import InvalidSignature
from civicid.core.crypto.signing import jwk_thumbprint, sign_jws, verify_jws
from civicid.core.database import Base, insert_if_absent
from civicid.core.errors import CivicIDError
from civicid.core.types import UTCDateTime

CHECKPOINT_FORMAT = "civicid-audit-checkpoint/1"
CHECKPOINT_JWS_TYPE = "civicid-audit-checkpoint+jws"
DATABASE_SOURCE = "database"

_MEMBERS = frozenset({"format", "seq", "entry_hash", "entries", "at"})
_HASH = re.compile(r"^[0-9a-f]{64}$")


class AuditCheckpoint(Base):
    """A checkpoint as the log keeps it: its members in clear for queries, and the JWS that vouches for them."""

    __tablename__ = "audit_checkpoint"

    seq: Mapped[int] = mapped_column(
        BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=False
    )
    entry_hash: Mapped[str] = mapped_column(String(64))
    entries: Mapped[int] = mapped_column(BigInteger)
    at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    jws: Mapped[str] = mapped_column(Text)


@dataclass(frozen=True)
class Checkpoint:
    """What a checkpoint says: entry ``seq`` had hash ``entry_hash`` and was the ``entries``-th entry."""

    seq: int
    entry_hash: str
    entries: int
    at: dt.datetime

    def claims(self) -> dict[str, Any]:
        """The signed members, the time in UTC to the microsecond."""
        return {
            "format": CHECKPOINT_FORMAT,
            "seq": self.seq,
            "entry_hash": self.entry_hash,
            "entries": self.entries,
            "at": self.at.astimezone(dt.UTC).isoformat(timespec="microseconds"),
        }


@dataclass(frozen=True)
class SignedCheckpoint:
    """A checkpoint as found: its JWS, the copy in clear kept beside it, and where it was found."""

    jws: str
    clear: dict[str, Any]
    source: str


class InvalidCheckpoint(Exception):
    """A checkpoint that the audit key did not sign as it reads: a finding of verification, not bad input."""


class AuditLogTampered(CivicIDError):
    code = "audit_log_tampered"
    title = "The audit log does not verify"
    status = 409


def sign_checkpoint(checkpoint: Checkpoint, key: ec.EllipticCurvePrivateKey) -> SignedCheckpoint:
    """The checkpoint as a compact JWS over its canonical JSON, with its copy in clear."""
    claims = checkpoint.claims()
    token = sign_jws(canonical_json(claims), key, kid=jwk_thumbprint(key), typ=CHECKPOINT_JWS_TYPE)
    return SignedCheckpoint(jws=token, clear=claims, source=DATABASE_SOURCE)


def open_checkpoint(signed: SignedCheckpoint, public_key: ec.EllipticCurvePublicKey) -> Checkpoint:
    """What ``signed`` says, once its signature verifies and its copy in clear matches what was signed.

    Raises :class:`InvalidCheckpoint` otherwise: a bad signature, another key's, another type, a
    payload that is not a checkpoint of this format, or a copy in clear that was edited.
    """
    try:
        claims = json.loads(verify_jws(signed.jws, public_key, typ=CHECKPOINT_JWS_TYPE).payload)
    except (InvalidSignature, ValueError) as exc:
        raise InvalidCheckpoint("its signature does not verify with the server's audit key") from exc
    checkpoint = _from_claims(claims)
    if signed.clear != claims:
        raise InvalidCheckpoint("its copy in clear differs from what was signed")
    return checkpoint


def _from_claims(claims: Any) -> Checkpoint:
    if not isinstance(claims, dict) or claims.keys() != _MEMBERS or claims["format"] != CHECKPOINT_FORMAT:
        raise InvalidCheckpoint(f"it is not a {CHECKPOINT_FORMAT} checkpoint")
    seq, entry_hash, entries, at = claims["seq"], claims["entry_hash"], claims["entries"], claims["at"]
    if type(seq) is not int or type(entries) is not int or seq < 1 or entries < 1:
        raise InvalidCheckpoint("its seq or entries is not a positive integer")
    if not isinstance(entry_hash, str) or not _HASH.match(entry_hash):
        raise InvalidCheckpoint("its entry_hash is not a SHA-256 in hex")
    try:
        moment = dt.datetime.fromisoformat(at) if isinstance(at, str) else None
    except ValueError:
        moment = None
    if moment is None or moment.tzinfo is None:
        raise InvalidCheckpoint("its time is not an ISO 8601 time with an offset")
    return Checkpoint(seq=seq, entry_hash=entry_hash, entries=entries, at=moment)


def stored_checkpoints(*, session: Session) -> list[SignedCheckpoint]:
    """Every checkpoint in the database, by seq, as found (nothing verified yet)."""
    return [_found(row) for row in session.scalars(select(AuditCheckpoint).order_by(AuditCheckpoint.seq))]


def _found(row: AuditCheckpoint) -> SignedCheckpoint:
    clear = Checkpoint(seq=row.seq, entry_hash=row.entry_hash, entries=row.entries, at=row.at).claims()
    return SignedCheckpoint(jws=row.jws, clear=clear, source=DATABASE_SOURCE)


def write_checkpoint(
    *, session: Session, clock: Clock, key: ec.EllipticCurvePrivateKey, every: int = 1
) -> SignedCheckpoint | None:
    """Sign the chain's head and store the checkpoint, once ``every`` seq values follow the last one.

    Returns None when fewer follow (an empty log included). Before signing, the entries after the
    last checkpoint are walked from its hash: a checkpoint only ever extends the one before, so the
    server never vouches for a chain it cannot link to what it vouched for already. The head read
    is committed history (appends commit in seq order under the chain's lock), so no lock is taken
    here; two writers naming the same head insert one row (the primary key, ``ON CONFLICT DO NOTHING``).

    Raises :class:`AuditLogTampered` when the last stored checkpoint does not verify, the log ends
    before it, or an entry after it does not link.
    """
    if every < 1:
        raise ValueError("a checkpoint follows at least one entry")
    row = session.scalars(select(AuditCheckpoint).order_by(AuditCheckpoint.seq.desc()).limit(1)).first()
    head = audit.last_seq(session=session)
    if 0 <= head - (row.seq if row is not None else 0) < every:
        return None  # the common case, every round of the worker: no signature checked
    last = _opened(row, key.public_key()) if row is not None else None
    after, prev, entries = (last.seq, last.entry_hash, last.entries) if last else (0, audit.GENESIS_HASH, 0)
    if head < after:
        raise AuditLogTampered(f"the log ends at entry {head}, before the checkpoint of entry {after}")
    tip: audit.Link | None = None
    for link in audit.walk_chain(session=session, after_seq=after, prev_hash=prev):
        if not link.linked:
            raise AuditLogTampered(f"entry {link.seq} does not link to the one before it; run civicid db verify-audit")
        entries += 1
        tip = link
    if tip is None:  # the head was there a moment ago: only a deletion since then removes it
        raise AuditLogTampered(f"the entries after the checkpoint of entry {after} are gone")
    checkpoint = Checkpoint(seq=tip.seq, entry_hash=tip.entry_hash, entries=entries, at=clock.now())
    signed = sign_checkpoint(checkpoint, key)
    values = {"seq": tip.seq, "entry_hash": tip.entry_hash, "entries": entries, "at": checkpoint.at, "jws": signed.jws}
    inserted = insert_if_absent(session, AuditCheckpoint, values, index_elements=["seq"])
    return signed if inserted else None


def _opened(row: AuditCheckpoint, public_key: ec.EllipticCurvePublicKey) -> Checkpoint:
    """A stored checkpoint that the writer builds on: it must be the server's own."""
    try:
        return open_checkpoint(_found(row), public_key)
    except InvalidCheckpoint as exc:
        raise AuditLogTampered(f"the checkpoint of entry {row.seq} in the database is not valid: {exc}") from exc
