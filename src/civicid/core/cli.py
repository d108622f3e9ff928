"""``civicid db``: migrations, and the check of the audit chain."""

from __future__ import annotations

from pathlib import Path

import typer

from civicid.core import audit, migrate
from civicid.core.console import DataOption, JsonOption, console, emit
from civicid.core.database import unit_of_work
from civicid.core.runtime import open_database
from civicid.core.settings import load_settings

db_app = typer.Typer(no_args_is_help=True)


@db_app.command("upgrade")
def upgrade_command(data: Path | None = DataOption, as_json: bool = JsonOption) -> None:
    """Apply every pending migration."""
    database = open_database(load_settings(data), upgrade=False)
    migrate.upgrade(database.engine)
    result = {"revision": migrate.current_revision(database.engine)}
    emit(result, as_json=as_json, render=lambda r: console.print(f"database at revision {r['revision']}"))


@db_app.command("verify-audit")
def verify_audit_command(data: Path | None = DataOption, as_json: bool = JsonOption) -> None:
    """Walk the hash-chained audit log and report whether it is intact."""
    database = open_database(load_settings(data))
    with unit_of_work(database.sessions) as session:
        report = audit.verify_chain(session=session)
    emit(
        {"entries": report.entries, "intact": report.intact, "first_broken_seq": report.first_broken_seq},
        as_json=as_json,
        render=lambda r: console.print(
            f"{r['entries']} entries, chain {'intact' if r['intact'] else 'BROKEN at ' + str(r['first_broken_seq'])}"
        ),
    )
    if not report.intact:
        raise typer.Exit(code=1)
