"""The witness file: the audit chain's checkpoints, exported outside the database (decision 0033).

A JSON-lines file, one checkpoint per line, only ever appended to: the checkpoint's members in
clear, for people and ``grep``, and its JWS, which is all that verification trusts::

    {"format": "civicid-audit-checkpoint/1", "seq": 1200, "entry_hash": "…", "entries": 1187, "at": "…", "jws": "eyJ…"}

The file is worth something only where those who can write to the database cannot rewrite it:
another machine's disk, an append-only mount, a log shipper's destination. A line is written after
its checkpoint's transaction commits, so the file never names a checkpoint the database rolled back.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric import ec
from sqlalchemy.orm import Session, sessionmaker

from civicid.core.audit_checkpoint import SignedCheckpoint, write_checkpoint
from civicid.core.clock import Clock
from civicid.core.database import unit_of_work
from civicid.core.errors import CivicIDError

JWS_MEMBER = "jws"


class WitnessUnreadable(CivicIDError):
    code = "audit_witness_unreadable"
    title = "The audit witness file cannot be read"
    status = 422


class WitnessUnwritable(CivicIDError):
    code = "audit_witness_unwritable"
    title = "The audit witness file cannot be written"
    status = 503


def append_witness(path: Path, checkpoint: SignedCheckpoint) -> None:
    """Append ``checkpoint`` as one line and flush it to disk before returning."""
    line = json.dumps({**checkpoint.clear, JWS_MEMBER: checkpoint.jws}, ensure_ascii=True) + "\n"
    try:
        with path.open("a", encoding="ascii") as file:
            file.write(line)
            file.flush()
            os.fsync(file.fileno())
    except OSError as exc:
        seq = checkpoint.clear.get("seq")
        raise WitnessUnwritable(
            f"the checkpoint of entry {seq} is in the database but not in the witness file {path}: {exc.strerror}"
        ) from exc


def read_witness(path: Path) -> list[SignedCheckpoint]:
    """Every checkpoint in the file, in its order, as found (nothing verified yet).

    Raises :class:`WitnessUnreadable` when the file cannot be read or a line is not a JSON object
    with a ``jws`` string: that is the operator's input, not a finding about the log.
    """
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise WitnessUnreadable(f"cannot read the witness file {path}: {exc.strerror}") from exc
    except UnicodeDecodeError as exc:
        raise WitnessUnreadable(f"the witness file {path} is not UTF-8 text") from exc
    found = []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            members = json.loads(line)
        except ValueError as exc:
            raise WitnessUnreadable(f"line {number} of the witness file {path} is not JSON") from exc
        if not isinstance(members, dict) or not isinstance(members.get(JWS_MEMBER), str):
            raise WitnessUnreadable(f"line {number} of the witness file {path} is not a checkpoint with a jws")
        clear = {name: value for name, value in members.items() if name != JWS_MEMBER}
        found.append(SignedCheckpoint(jws=members[JWS_MEMBER], clear=clear, source=f"{path}:{number}"))
    return found


def checkpoint_and_export(
    *,
    sessions: sessionmaker[Session],
    clock: Clock,
    key: ec.EllipticCurvePrivateKey,
    witness: Path | None,
    every: int = 1,
) -> SignedCheckpoint | None:
    """Write a checkpoint in its own transaction (:func:`write_checkpoint`), then append it to ``witness``.

    What ``civicid db audit-checkpoint`` and the worker run. Returns None when no checkpoint was due.
    """
    with unit_of_work(sessions) as session:
        checkpoint = write_checkpoint(session=session, clock=clock, key=key, every=every)
    if checkpoint is not None and witness is not None:
        append_witness(witness, checkpoint)
    return checkpoint
