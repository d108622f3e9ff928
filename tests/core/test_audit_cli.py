"""``civicid db audit-checkpoint`` and ``civicid db verify-audit``: exit 0 intact, 1 tampered, 2 bad input."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest
from tests.core.tampering import append, delete_entries_after, rewrite
from typer.testing import Result

from civicid.core.audit_checkpoint import Checkpoint, sign_checkpoint
from civicid.core.audit_witness import append_witness
from civicid.core.crypto.signing import generate_signing_key
from civicid.core.runtime import Context

Civicid = Callable[..., Result]


@pytest.fixture
def witness(tmp_path: Path) -> Path:
    return tmp_path / "audit-witness.jsonl"


def checkpointed(civicid: Civicid, context: Context, witness: Path, entries: int = 4) -> list[int]:
    """A log of ``entries`` entries whose head is checkpointed into the database and ``witness``."""
    seq = append(context.database, context.clock, entries)
    result = civicid("db", "audit-checkpoint", "--witness", str(witness), "--json")
    assert result.exit_code == 0, result.output
    return seq


def one_line_status_2(result: Result, start: str) -> None:
    assert result.exit_code == 2, result.output
    assert result.stderr.startswith(start)
    assert result.stderr.count("\n") == 1
    assert "Traceback" not in result.output


class TestAuditCheckpoint:
    def test_signs_the_head_into_the_database_and_the_witness(
        self, civicid: Civicid, context: Context, witness: Path
    ) -> None:
        seq = append(context.database, context.clock, 3)
        result = civicid("db", "audit-checkpoint", "--witness", str(witness), "--json")
        assert result.exit_code == 0, result.output
        document = json.loads(result.stdout)
        assert document["created"] is True
        assert document["checkpoint"]["seq"] == seq[-1]
        assert document["checkpoint"]["entries"] == 3
        assert document["witness"] == str(witness)
        (line,) = witness.read_text().splitlines()
        assert json.loads(line)["seq"] == seq[-1]

    def test_nothing_to_sign_is_status_0(self, civicid: Civicid, context: Context, witness: Path) -> None:
        checkpointed(civicid, context, witness)
        result = civicid("db", "audit-checkpoint", "--witness", str(witness))
        assert result.exit_code == 0, result.output
        assert "nothing signed" in result.stdout
        assert len(witness.read_text().splitlines()) == 1

    def test_a_tampered_log_is_not_signed_and_status_1(self, civicid: Civicid, context: Context, witness: Path) -> None:
        seq = checkpointed(civicid, context, witness)
        delete_entries_after(context.database, seq[0])
        result = civicid("db", "audit-checkpoint", "--witness", str(witness))
        assert result.exit_code == 1, result.output
        assert result.stderr.startswith("not signed: the log ends at entry")
        assert len(witness.read_text().splitlines()) == 1

    def test_the_witness_file_comes_from_the_settings(
        self, civicid: Civicid, context: Context, witness: Path, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        monkeypatch.setenv("CIVICID_AUDIT_WITNESS_FILE", str(witness))
        append(context.database, context.clock, 2)
        assert civicid("db", "audit-checkpoint").exit_code == 0
        delete_entries_after(context.database, 0, with_checkpoints=True)
        result = civicid("db", "verify-audit", "--json")
        assert result.exit_code == 1, result.output
        assert json.loads(result.stdout)["problem"]["kind"] == "truncated"

    def test_an_unwritable_witness_is_one_line_and_status_2(
        self, civicid: Civicid, context: Context, tmp_path: Path
    ) -> None:
        append(context.database, context.clock, 2)
        result = civicid("db", "audit-checkpoint", "--witness", str(tmp_path))
        one_line_status_2(result, "error: the checkpoint of entry")


class TestVerifyAudit:
    def test_an_intact_log_with_its_checkpoints_is_status_0(
        self, civicid: Civicid, context: Context, witness: Path
    ) -> None:
        seq = checkpointed(civicid, context, witness)
        append(context.database, context.clock, 1)
        result = civicid("db", "verify-audit", "--witness", str(witness), "--json")
        assert result.exit_code == 0, result.output
        assert json.loads(result.stdout) == {
            "intact": True,
            "entries": 5,
            "checkpoints": 1,
            "last_checkpoint_seq": seq[-1],
            "first_broken_seq": None,
            "problem": None,
        }
        text = civicid("db", "verify-audit", "--witness", str(witness))
        assert text.stdout.strip() == f"5 entries, 1 checkpoint (the last at entry {seq[-1]}): intact"

    def test_a_log_without_checkpoints_is_checked_by_its_links(self, civicid: Civicid, context: Context) -> None:
        append(context.database, context.clock, 2)
        result = civicid("db", "verify-audit", "--json")
        assert result.exit_code == 0, result.output
        assert json.loads(result.stdout)["entries"] == 2

    def test_truncation_is_status_1_and_named(self, civicid: Civicid, context: Context, witness: Path) -> None:
        seq = checkpointed(civicid, context, witness)
        delete_entries_after(context.database, seq[1], with_checkpoints=True)
        result = civicid("db", "verify-audit", "--witness", str(witness), "--json")
        assert result.exit_code == 1, result.output
        problem = json.loads(result.stdout)["problem"]
        assert (problem["kind"], problem["seq"], problem["source"]) == ("truncated", seq[-1], f"{witness}:1")
        text = civicid("db", "verify-audit", "--witness", str(witness))
        assert text.exit_code == 1
        assert f"TRUNCATED: entry {seq[-1]}" in text.stdout

    def test_rewriting_is_status_1_and_named(self, civicid: Civicid, context: Context, witness: Path) -> None:
        seq = checkpointed(civicid, context, witness)
        rewrite(context.database, seq[0], {"fields": ["full_name"]})
        result = civicid("db", "verify-audit", "--json")
        assert result.exit_code == 1, result.output
        assert json.loads(result.stdout)["problem"]["kind"] == "rewritten"

    def test_a_broken_link_is_status_1_and_named(self, civicid: Civicid, context: Context) -> None:
        seq = append(context.database, context.clock, 3)
        rewrite(context.database, seq[1], {"fields": ["phone"]}, recompute=False)
        result = civicid("db", "verify-audit", "--json")
        assert result.exit_code == 1, result.output
        document = json.loads(result.stdout)
        assert (document["problem"]["kind"], document["first_broken_seq"]) == ("broken_link", seq[1])

    def test_a_forged_witness_line_is_status_1_and_named(
        self, civicid: Civicid, context: Context, witness: Path
    ) -> None:
        """A witness line signed by another key (another deployment's, or a forger's) is not this server's."""
        seq = checkpointed(civicid, context, witness)
        claims = json.loads(witness.read_text())
        forged = Checkpoint(seq=seq[-1], entry_hash=claims["entry_hash"], entries=4, at=context.clock.now())
        append_witness(witness, sign_checkpoint(forged, generate_signing_key()))
        result = civicid("db", "verify-audit", "--witness", str(witness), "--json")
        assert result.exit_code == 1, result.output
        problem = json.loads(result.stdout)["problem"]
        assert (problem["kind"], problem["source"]) == ("bad_checkpoint_signature", f"{witness}:2")

    def test_a_missing_witness_file_is_one_line_and_status_2(
        self, civicid: Civicid, context: Context, witness: Path
    ) -> None:
        result = civicid("db", "verify-audit", "--witness", str(witness))
        one_line_status_2(result, "error: cannot read the witness file")
        assert "audit_witness_unreadable" in result.stderr

    def test_a_garbled_witness_file_is_one_line_and_status_2(
        self, civicid: Civicid, context: Context, witness: Path
    ) -> None:
        witness.write_text('{"seq": 1}\n')
        result = civicid("db", "verify-audit", "--witness", str(witness), "--json")
        one_line_status_2(result, "error: line 1 of the witness file")
        assert result.stdout == ""
