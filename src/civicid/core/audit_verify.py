"""Verifying the audit log: its links, and the links against its signed checkpoints (decision 0033).

Four kinds of problem, the first found reported:

- ``bad_checkpoint_signature``: a checkpoint, in the database or the witness file, that the
  server's audit key did not sign as it reads. Checked first, for every checkpoint: such a
  checkpoint is someone else's writing, and the other checks rest on genuine ones only.
- ``broken_link``: an entry changed or removed in place (``audit.walk_chain``).
- ``truncated``: a checkpoint names an entry that is no longer in the log, or the log ends before
  the last checkpoint.
- ``rewritten``: the chain links, but its hash at a checkpoint's seq is not the one signed: an entry
  at or before it was changed and every later hash recomputed.

The entries are walked once, in seq order; the problems of the walk are reported in that order.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from enum import StrEnum

from cryptography.hazmat.primitives.asymmetric import ec
from sqlalchemy.orm import Session

from civicid.core import audit
from civicid.core.audit_checkpoint import (
    Checkpoint,
    InvalidCheckpoint,
    SignedCheckpoint,
    open_checkpoint,
    stored_checkpoints,
)


class ProblemKind(StrEnum):
    BROKEN_LINK = "broken_link"
    TRUNCATED = "truncated"
    REWRITTEN = "rewritten"
    BAD_CHECKPOINT_SIGNATURE = "bad_checkpoint_signature"


@dataclass(frozen=True)
class Problem:
    """The first thing wrong: its kind, the entry it concerns, and the checkpoint that showed it, if one did."""

    kind: ProblemKind
    seq: int | None
    detail: str
    source: str | None = None


@dataclass(frozen=True)
class AuditReport:
    entries: int
    checkpoints: int
    last_checkpoint_seq: int | None
    problem: Problem | None

    @property
    def intact(self) -> bool:
        return self.problem is None


@dataclass(frozen=True)
class _Vouched:
    checkpoint: Checkpoint
    source: str


def verify_log(
    *,
    session: Session,
    public_key: ec.EllipticCurvePublicKey,
    witness: Sequence[SignedCheckpoint] = (),
    batch: int = 5000,
) -> AuditReport:
    """Check the chain against every checkpoint in the database and in ``witness`` (read from the file).

    Without a witness, the database's own checkpoints show truncation and rewriting only where the
    one who tampered left them in place; the witness file is what shows the rest (decision 0033).
    """
    vouched, forged = _open_all([*stored_checkpoints(session=session), *witness], public_key)
    entries, found = _walk(audit.walk_chain(session=session, batch=batch), vouched)
    return AuditReport(
        entries=entries,
        checkpoints=len(vouched),
        last_checkpoint_seq=vouched[-1].checkpoint.seq if vouched else None,
        problem=forged or found,
    )


def _open_all(
    found: Iterable[SignedCheckpoint], public_key: ec.EllipticCurvePublicKey
) -> tuple[list[_Vouched], Problem | None]:
    """The checkpoints that verify, by seq and without repeats; and the first one that does not, as a problem.

    A checkpoint found in both places is opened in both: its copy in clear may have been edited in one.
    """
    vouched: dict[str, _Vouched] = {}
    forged: Problem | None = None
    for signed in found:
        try:
            vouched.setdefault(signed.jws, _Vouched(open_checkpoint(signed, public_key), signed.source))
        except InvalidCheckpoint as exc:
            if forged is None:
                seq = signed.clear.get("seq")
                forged = Problem(
                    kind=ProblemKind.BAD_CHECKPOINT_SIGNATURE,
                    seq=seq if type(seq) is int else None,
                    detail=f"a checkpoint is not the server's: {exc}",
                    source=signed.source,
                )
    return sorted(vouched.values(), key=lambda v: v.checkpoint.seq), forged


def _walk(links: Iterable[audit.Link], vouched: Sequence[_Vouched]) -> tuple[int, Problem | None]:
    """How many entries link, and the first problem met walking them with the checkpoints in seq order."""
    entries, last_seq, pending = 0, 0, 0
    for link in links:
        if pending < len(vouched) and vouched[pending].checkpoint.seq < link.seq:
            return entries, _missing(vouched[pending], last_seq, next_seq=link.seq)
        if not link.linked:
            detail = f"entry {link.seq} does not link to the one before it (changed or removed in place)"
            return entries, Problem(kind=ProblemKind.BROKEN_LINK, seq=link.seq, detail=detail)
        entries, last_seq = entries + 1, link.seq
        while pending < len(vouched) and vouched[pending].checkpoint.seq == link.seq:
            signed = vouched[pending].checkpoint
            if signed.entry_hash != link.entry_hash or signed.entries != entries:
                detail = (
                    f"entry {link.seq} is not the one the checkpoint of {signed.at.isoformat()} signed "
                    f"({entries} entries up to it now, {signed.entries} then): "
                    "an entry up to it was changed and the later hashes recomputed"
                )
                return entries, Problem(ProblemKind.REWRITTEN, link.seq, detail, vouched[pending].source)
            pending += 1
    if pending < len(vouched):
        return entries, _missing(vouched[pending], last_seq, next_seq=None)
    return entries, None


def _missing(vouched: _Vouched, last_seq: int, *, next_seq: int | None) -> Problem:
    """The entry a checkpoint names is gone: the log ends before it, or skips it."""
    checkpoint = vouched.checkpoint
    if next_seq is None:
        where = f"the log ends at entry {last_seq}" if last_seq else "the log is empty"
    elif last_seq:
        where = f"the log goes from entry {last_seq} to entry {next_seq}"
    else:
        where = f"the log starts at entry {next_seq}"
    detail = f"entry {checkpoint.seq}, signed by the checkpoint of {checkpoint.at.isoformat()}, is gone: {where}"
    return Problem(ProblemKind.TRUNCATED, checkpoint.seq, detail, vouched.source)
