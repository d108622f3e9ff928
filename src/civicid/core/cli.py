"""``civicid db``: migrations, the check of the audit log, and its signed checkpoints (decision 0033)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import typer
from cryptography.hazmat.primitives.asymmetric import ec

from civicid.core import audit_verify, migrate
from civicid.core.audit_checkpoint import AuditLogTampered
from civicid.core.audit_witness import checkpoint_and_export, read_witness
from civicid.core.console import DataOption, JsonOption, command_context, console, emit, tell
from civicid.core.database import unit_of_work
from civicid.core.keystore import Keystore, master_key_from_environment
from civicid.core.runtime import open_database
from civicid.core.settings import Settings, load_settings

db_app = typer.Typer(no_args_is_help=True)

WitnessOption = typer.Option(
    None, "--witness", help="The witness file of exported checkpoints (default $CIVICID_AUDIT_WITNESS_FILE)."
)


@db_app.command("upgrade")
def upgrade_command(data: Path | None = DataOption, as_json: bool = JsonOption) -> None:
    """Apply every pending migration."""
    database = open_database(load_settings(data), upgrade=False)
    migrate.upgrade(database.engine)
    result = {"revision": migrate.current_revision(database.engine)}
    emit(result, as_json=as_json, render=lambda r: console.print(f"database at revision {r['revision']}"))


@db_app.command("verify-audit")
def verify_audit_command(
    data: Path | None = DataOption, witness: Path | None = WitnessOption, as_json: bool = JsonOption
) -> None:
    """Check the audit log's links and its signed checkpoints; exit 1 if it was tampered with.

    Reports the first problem: broken_link, truncated, rewritten or bad_checkpoint_signature.
    """
    settings = load_settings(data, existing=True)
    witness_file = witness or settings.audit_witness_file
    witnessed = read_witness(witness_file) if witness_file is not None else []
    public_key = _audit_key(settings).public_key()
    database = open_database(settings)
    with unit_of_work(database.sessions) as session:
        report = audit_verify.verify_log(session=session, public_key=public_key, witness=witnessed)
    emit(_report_document(report), as_json=as_json, render=_render_report)
    if not report.intact:
        raise typer.Exit(code=1)


@db_app.command("audit-checkpoint")
def audit_checkpoint_command(
    data: Path | None = DataOption,
    witness: Path | None = WitnessOption,
    as_json: bool = JsonOption,
) -> None:
    """Sign the audit chain's head now, store the checkpoint and append it to the witness file.

    The worker does this every $CIVICID_AUDIT_CHECKPOINT_EVERY entries; run this from cron as well,
    so that a quiet log is checkpointed too. Exit 1 when the log does not verify (nothing is signed).
    """
    context = command_context(data)
    witness_file = witness or context.settings.audit_witness_file
    try:
        checkpoint = checkpoint_and_export(
            sessions=context.database.sessions,
            clock=context.clock,
            key=_audit_key(context.settings),
            witness=witness_file,
        )
    except AuditLogTampered as exc:
        tell(f"not signed: {exc.detail}")
        raise typer.Exit(code=1) from exc
    result = {
        "created": checkpoint is not None,
        "checkpoint": checkpoint.clear if checkpoint is not None else None,
        "witness": str(witness_file) if checkpoint is not None and witness_file is not None else None,
    }
    emit(result, as_json=as_json, render=_render_checkpoint)


def _audit_key(settings: Settings) -> ec.EllipticCurvePrivateKey:
    return Keystore.open(settings.data_dir, master_key_from_environment()).audit_signing_key()


def _report_document(report: audit_verify.AuditReport) -> dict[str, Any]:
    problem = report.problem
    return {
        "intact": report.intact,
        "entries": report.entries,
        "checkpoints": report.checkpoints,
        "last_checkpoint_seq": report.last_checkpoint_seq,
        "first_broken_seq": problem.seq if problem is not None else None,
        "problem": None
        if problem is None
        else {"kind": problem.kind.value, "seq": problem.seq, "detail": problem.detail, "source": problem.source},
    }


def _render_report(document: dict[str, Any]) -> None:
    counted = f"{_count(document['entries'], 'entry', 'entries')}, {_count(document['checkpoints'], 'checkpoint')}"
    if document["intact"]:
        last = document["last_checkpoint_seq"]
        covered = f" (the last at entry {last})" if last is not None else ""
        _line(f"{counted}{covered}: intact")
        return
    problem = document["problem"]
    where = f" [{problem['source']}]" if problem["source"] else ""
    _line(f"{counted}: {problem['kind'].upper()}: {problem['detail']}{where}")


def _render_checkpoint(result: dict[str, Any]) -> None:
    checkpoint = result["checkpoint"]
    if checkpoint is None:
        _line("nothing signed: no entry since the last checkpoint")
        return
    witnessed = f", appended to {result['witness']}" if result["witness"] else ", no witness file given"
    _line(f"signed entry {checkpoint['seq']} ({_count(checkpoint['entries'], 'entry', 'entries')}){witnessed}")


def _count(n: int, one: str, many: str | None = None) -> str:
    return f"{n} {one if n == 1 else many or one + 's'}"


def _line(text: str) -> None:
    """One line, never wrapped or styled: scripts read it as well as people."""
    console.print(text, markup=False, highlight=False, soft_wrap=True)
