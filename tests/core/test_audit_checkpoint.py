"""Signed checkpoints of the audit chain: truncation and rewriting are found (decision 0033).

Each attack is made with the package's own hash functions (tests/core/tampering.py), as someone with
write access to the database could; the hash chain alone calls every one of them intact.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric import ec
from sqlalchemy import delete, func, select
from tests.core.tampering import append, delete_entries_after, rewrite

from civicid.core import audit
from civicid.core.audit_checkpoint import (
    CHECKPOINT_JWS_TYPE,
    AuditCheckpoint,
    AuditLogTampered,
    Checkpoint,
    InvalidCheckpoint,
    SignedCheckpoint,
    open_checkpoint,
    sign_checkpoint,
    write_checkpoint,
)
from civicid.core.audit_verify import AuditReport, Problem, ProblemKind, verify_log
from civicid.core.audit_witness import (
    WitnessUnreadable,
    WitnessUnwritable,
    append_witness,
    checkpoint_and_export,
    read_witness,
)
from civicid.core.clock import FixedClock
from civicid.core.crypto.canonical import canonical_json
from civicid.core.crypto.signing import generate_signing_key, sign_jws
from civicid.core.database import unit_of_work
from civicid.core.runtime import Database


@dataclass
class AuditLog:
    """The log under test, the server's audit key, and the witness file the operator keeps elsewhere."""

    database: Database
    clock: FixedClock
    key: ec.EllipticCurvePrivateKey
    witness: Path

    def append(self, count: int) -> list[int]:
        return append(self.database, self.clock, count)

    def checkpoint(self, *, witnessed: bool = True, key: ec.EllipticCurvePrivateKey | None = None) -> SignedCheckpoint:
        signed = checkpoint_and_export(
            sessions=self.database.sessions,
            clock=self.clock,
            key=key or self.key,
            witness=self.witness if witnessed else None,
        )
        assert signed is not None
        return signed

    def verify(self, *, witnessed: bool = False) -> AuditReport:
        found = read_witness(self.witness) if witnessed else []
        with unit_of_work(self.database.sessions) as session:
            return verify_log(session=session, public_key=self.key.public_key(), witness=found)

    def problem(self, *, witnessed: bool = False) -> Problem:
        problem = self.verify(witnessed=witnessed).problem
        assert problem is not None
        return problem

    def chain_alone_is_intact(self) -> bool:
        """What ``civicid db verify-audit`` answered before checkpoints."""
        with unit_of_work(self.database.sessions) as session:
            return audit.verify_chain(session=session).intact

    def head(self, seq: int) -> Checkpoint:
        """What a checkpoint of entry ``seq`` says, made without the server's writer."""
        with unit_of_work(self.database.sessions) as session:
            entry = session.get_one(audit.AuditEntry, seq)
            entries = session.scalar(select(func.count()).where(audit.AuditEntry.seq <= seq)) or 0
        return Checkpoint(seq=seq, entry_hash=entry.entry_hash, entries=entries, at=self.clock.now())

    def insert_checkpoint(self, signed: SignedCheckpoint) -> None:
        """Write a checkpoint row directly, as someone with write access to the database can."""
        claims = signed.clear
        at = dt.datetime.fromisoformat(claims["at"])
        row = AuditCheckpoint(
            seq=claims["seq"], entry_hash=claims["entry_hash"], entries=claims["entries"], at=at, jws=signed.jws
        )
        with unit_of_work(self.database.sessions) as session:
            session.add(row)

    def delete_checkpoints(self) -> None:
        with unit_of_work(self.database.sessions) as session:
            session.execute(delete(AuditCheckpoint))


@pytest.fixture
def log(database: Database, clock: FixedClock, tmp_path: Path) -> AuditLog:
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    return AuditLog(database, clock, generate_signing_key(), elsewhere / "audit-witness.jsonl")


class TestHappyPath:
    def test_a_checkpointed_log_that_grew_is_intact(self, log: AuditLog) -> None:
        log.append(3)
        log.checkpoint()
        log.clock.advance(dt.timedelta(hours=1))
        log.append(2)
        log.checkpoint()
        seq = log.append(1)
        report = log.verify(witnessed=True)
        assert report == AuditReport(entries=6, checkpoints=2, last_checkpoint_seq=seq[4], problem=None)
        assert report.intact

    def test_a_checkpoint_names_the_head_and_counts_the_entries(self, log: AuditLog) -> None:
        seq = log.append(4)
        signed = log.checkpoint()
        expected = log.head(seq[-1])
        assert expected.entries == 4
        assert open_checkpoint(signed, log.key.public_key()) == expected
        assert signed.clear == expected.claims()
        assert signed.clear["format"] == "civicid-audit-checkpoint/1"
        (line,) = log.witness.read_text().splitlines()
        assert json.loads(line) == {**signed.clear, "jws": signed.jws}

    def test_no_new_entry_no_new_checkpoint(self, log: AuditLog) -> None:
        log.append(2)
        log.checkpoint()
        with unit_of_work(log.database.sessions) as session:
            assert write_checkpoint(session=session, clock=log.clock, key=log.key) is None
        assert len(read_witness(log.witness)) == 1

    def test_an_empty_log_is_intact_and_has_nothing_to_sign(self, log: AuditLog) -> None:
        none = checkpoint_and_export(sessions=log.database.sessions, clock=log.clock, key=log.key, witness=log.witness)
        assert none is None
        assert not log.witness.exists()
        assert log.verify() == AuditReport(entries=0, checkpoints=0, last_checkpoint_seq=None, problem=None)

    def test_every_waits_for_that_many_entries(self, log: AuditLog) -> None:
        log.append(2)
        with unit_of_work(log.database.sessions) as session:
            assert write_checkpoint(session=session, clock=log.clock, key=log.key, every=3) is None
        log.append(1)
        with unit_of_work(log.database.sessions) as session:
            signed = write_checkpoint(session=session, clock=log.clock, key=log.key, every=3)
        assert signed is not None
        assert signed.clear["entries"] == 3

    def test_the_same_checkpoint_in_the_database_and_the_witness_counts_once(self, log: AuditLog) -> None:
        log.append(2)
        log.checkpoint()
        assert log.verify(witnessed=True).checkpoints == 1


class TestTruncation:
    def test_deleting_the_last_rows_is_found_by_the_database_checkpoint(self, log: AuditLog) -> None:
        seq = log.append(5)
        log.checkpoint(witnessed=False)
        delete_entries_after(log.database, seq[2])
        assert log.chain_alone_is_intact()
        problem = log.problem()
        assert (problem.kind, problem.seq, problem.source) == (ProblemKind.TRUNCATED, seq[4], "database")
        assert f"the log ends at entry {seq[2]}" in problem.detail

    def test_deleting_the_last_rows_and_their_checkpoints_is_found_by_the_witness(self, log: AuditLog) -> None:
        log.append(3)
        log.checkpoint()
        seq = log.append(2)
        log.checkpoint()
        delete_entries_after(log.database, seq[2], with_checkpoints=True)
        assert log.verify().intact  # what the database alone can no longer show
        problem = log.problem(witnessed=True)
        assert (problem.kind, problem.seq, problem.source) == (ProblemKind.TRUNCATED, seq[4], f"{log.witness}:2")

    def test_deleting_the_whole_log_is_found_by_the_witness(self, log: AuditLog) -> None:
        log.append(3)
        log.checkpoint()
        delete_entries_after(log.database, 0, with_checkpoints=True)
        problem = log.problem(witnessed=True)
        assert problem.kind == ProblemKind.TRUNCATED
        assert "the log is empty" in problem.detail

    def test_deleting_a_checkpointed_entry_and_relinking_the_next_is_found(self, log: AuditLog) -> None:
        log.append(3)
        log.checkpoint(witnessed=False)
        seq = log.append(2)
        with unit_of_work(log.database.sessions) as session:
            session.execute(delete(audit.AuditEntry).where(audit.AuditEntry.seq == seq[2]))
        rewrite(log.database, seq[3], {"n": 1})  # relinks the next entry to the one before the deleted one
        assert log.chain_alone_is_intact()
        problem = log.problem()
        assert (problem.kind, problem.seq) == (ProblemKind.TRUNCATED, seq[2])
        assert f"the log goes from entry {seq[1]} to entry {seq[3]}" in problem.detail

    def test_a_truncated_log_appended_to_again_is_not_intact(self, log: AuditLog) -> None:
        seq = log.append(4)
        log.checkpoint()
        delete_entries_after(log.database, seq[1], with_checkpoints=True)
        log.append(3)
        # PostgreSQL never hands out a seq twice, so the checkpointed seq is gone (truncated); SQLite
        # reuses the seq after the last row, which then holds another entry (rewritten).
        postgresql = log.database.engine.dialect.name == "postgresql"
        assert log.problem(witnessed=True).kind == (ProblemKind.TRUNCATED if postgresql else ProblemKind.REWRITTEN)

    def test_the_server_does_not_sign_a_log_that_ends_before_its_last_checkpoint(self, log: AuditLog) -> None:
        seq = log.append(3)
        log.checkpoint(witnessed=False)
        delete_entries_after(log.database, seq[0])
        with pytest.raises(AuditLogTampered, match=f"ends at entry {seq[0]}"):
            log.checkpoint()


class TestRewriting:
    def test_a_changed_entry_with_every_later_hash_recomputed_is_found(self, log: AuditLog) -> None:
        seq = log.append(5)
        log.checkpoint()
        rewrite(log.database, seq[1], {"fields": ["full_name"]})
        assert log.chain_alone_is_intact()
        for witnessed in (False, True):
            problem = log.problem(witnessed=witnessed)
            assert (problem.kind, problem.seq, problem.source) == (ProblemKind.REWRITTEN, seq[4], "database")

    def test_the_witness_finds_a_rewrite_whose_checkpoints_were_deleted(self, log: AuditLog) -> None:
        seq = log.append(5)
        log.checkpoint()
        rewrite(log.database, seq[0], {"fields": ["phone"]})
        log.delete_checkpoints()
        assert log.verify().intact
        problem = log.problem(witnessed=True)
        assert (problem.kind, problem.seq, problem.source) == (ProblemKind.REWRITTEN, seq[4], f"{log.witness}:1")

    def test_a_changed_entry_without_recomputing_breaks_its_link(self, log: AuditLog) -> None:
        seq = log.append(3)
        log.checkpoint()
        rewrite(log.database, seq[1], {"fields": ["full_name"]}, recompute=False)
        report = log.verify()
        assert report.problem is not None
        assert (report.problem.kind, report.problem.seq, report.entries) == (ProblemKind.BROKEN_LINK, seq[1], 1)

    def test_the_server_does_not_sign_over_a_rewritten_history(self, log: AuditLog) -> None:
        log.append(3)
        log.checkpoint()
        seq = log.append(2)
        rewrite(log.database, seq[0], {"fields": ["phone"]})
        with pytest.raises(AuditLogTampered, match=f"entry {seq[3]} does not link"):
            log.checkpoint()


class TestForgedCheckpoint:
    def test_a_checkpoint_signed_with_another_key_in_the_database_is_found(self, log: AuditLog) -> None:
        """The attacker rewrites, deletes the server's checkpoint and signs their own over the new head."""
        seq = log.append(3)
        log.checkpoint(witnessed=False)
        rewrite(log.database, seq[0], {"fields": ["phone"]})
        log.delete_checkpoints()
        log.checkpoint(witnessed=False, key=generate_signing_key())
        problem = log.problem()
        assert (problem.kind, problem.seq, problem.source) == (ProblemKind.BAD_CHECKPOINT_SIGNATURE, seq[2], "database")

    def test_a_witness_line_signed_with_another_key_is_found(self, log: AuditLog) -> None:
        seq = log.append(2)
        log.checkpoint()
        append_witness(log.witness, sign_checkpoint(log.head(seq[0]), generate_signing_key()))
        problem = log.problem(witnessed=True)
        assert (problem.kind, problem.source) == (ProblemKind.BAD_CHECKPOINT_SIGNATURE, f"{log.witness}:2")

    def test_a_witness_line_edited_in_clear_is_found(self, log: AuditLog) -> None:
        log.append(2)
        log.checkpoint()
        line = json.loads(log.witness.read_text())
        log.witness.write_text(json.dumps({**line, "entries": 1}) + "\n")
        problem = log.problem(witnessed=True)
        assert problem.kind == ProblemKind.BAD_CHECKPOINT_SIGNATURE
        assert "copy in clear" in problem.detail

    def test_a_forged_checkpoint_is_reported_before_a_rewrite(self, log: AuditLog) -> None:
        log.append(2)
        log.checkpoint()
        seq = log.append(1)
        log.insert_checkpoint(sign_checkpoint(log.head(seq[2]), generate_signing_key()))
        rewrite(log.database, seq[0], {"fields": ["phone"]})
        report = log.verify()
        assert report.problem is not None
        assert report.problem.kind == ProblemKind.BAD_CHECKPOINT_SIGNATURE
        assert report.checkpoints == 1  # the genuine one, still checked

    def test_the_server_does_not_sign_after_a_forged_checkpoint(self, log: AuditLog) -> None:
        log.append(2)
        log.checkpoint(key=generate_signing_key())
        log.append(1)
        with pytest.raises(AuditLogTampered, match="is not valid"):
            log.checkpoint()

    @pytest.mark.parametrize(
        "claims",
        [
            {"format": "civicid-audit-checkpoint/2", "seq": 1, "entry_hash": "0" * 64, "entries": 1, "at": "x"},
            {"format": "civicid-audit-checkpoint/1", "seq": True, "entry_hash": "0" * 64, "entries": 1, "at": "x"},
            {"format": "civicid-audit-checkpoint/1", "seq": 1, "entry_hash": "AB", "entries": 1, "at": "x"},
            {"format": "civicid-audit-checkpoint/1", "seq": 1, "entry_hash": "0" * 64, "entries": 1, "at": "x"},
            {"format": "civicid-audit-checkpoint/1", "seq": 1, "entry_hash": "0" * 64, "entries": 1, "at": None},
            {"format": "civicid-audit-checkpoint/1", "seq": 1, "entry_hash": "0" * 64, "entries": 0, "at": "x"},
            {"format": "civicid-audit-checkpoint/1", "seq": 1, "entries": 1, "at": "2026-12-07T00:00:00+00:00"},
            ["not", "an", "object"],
        ],
    )
    def test_a_signed_payload_that_is_not_a_checkpoint_is_refused(self, claims: object) -> None:
        key = generate_signing_key()
        token = sign_jws(canonical_json(claims), key, kid="k", typ=CHECKPOINT_JWS_TYPE)
        clear = claims if isinstance(claims, dict) else {}
        with pytest.raises(InvalidCheckpoint):
            open_checkpoint(SignedCheckpoint(jws=token, clear=clear, source="test"), key.public_key())

    def test_a_checkpoint_of_another_type_is_refused(self, clock: FixedClock) -> None:
        key = generate_signing_key()
        claims = Checkpoint(seq=1, entry_hash="0" * 64, entries=1, at=clock.now()).claims()
        token = sign_jws(canonical_json(claims), key, kid="k", typ="civicid-packet+jws")
        with pytest.raises(InvalidCheckpoint, match="signature"):
            open_checkpoint(SignedCheckpoint(jws=token, clear=claims, source="test"), key.public_key())


class TestWitnessFile:
    def test_a_missing_file_is_unreadable(self, tmp_path: Path) -> None:
        with pytest.raises(WitnessUnreadable, match="cannot read the witness file"):
            read_witness(tmp_path / "audit-witness.jsonl")

    @pytest.mark.parametrize(
        ("content", "message"),
        [
            (b"{not json\n", "line 1 .* is not JSON"),
            (b'\n{"seq": 1}\n', "line 2 .* not a checkpoint"),
            (b"\xff", "UTF-8"),
        ],
    )
    def test_a_line_that_is_not_a_checkpoint_is_unreadable(self, tmp_path: Path, content: bytes, message: str) -> None:
        witness = tmp_path / "audit-witness.jsonl"
        witness.write_bytes(content)
        with pytest.raises(WitnessUnreadable, match=message):
            read_witness(witness)

    def test_an_unwritable_witness_leaves_the_checkpoint_in_the_database(self, log: AuditLog) -> None:
        log.append(2)
        log.witness.mkdir()
        with pytest.raises(WitnessUnwritable, match="in the database but not in the witness file"):
            log.checkpoint()
        report = log.verify()
        assert (report.checkpoints, report.intact) == (1, True)
