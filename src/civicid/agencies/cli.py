"""``civicid agencies``: the simulated agencies, told they are down or up again (for the demo).

An outage of an agency is what the wallet must live through: documents put to it wait as
``pending`` and a job asks again once it answers (docs/decisions/0037-documents-by-reference.md).
"""

from __future__ import annotations

from pathlib import Path

import typer
from rich.table import Table

from civicid.agencies import service
from civicid.agencies.adapters import SIMULATED_AGENCIES
from civicid.core.audit import cli_actor
from civicid.core.console import DataOption, JsonOption, command_context, console, emit
from civicid.core.database import unit_of_work
from civicid.country.documents import DocumentKind

app = typer.Typer(no_args_is_help=True)
KindArgument = typer.Argument(..., help="The kind of document whose simulated agency this is.", case_sensitive=False)


@app.command("status")
def status_command(data: Path | None = DataOption, as_json: bool = JsonOption) -> None:
    """Each simulated agency, up or down."""
    context = command_context(data)
    with unit_of_work(context.database.sessions) as session:
        down = service.outages(session=session)
    rows = [
        {"kind": kind.value, "agency": agency.en, "down_since": down[kind].isoformat() if kind in down else None}
        for kind, agency in SIMULATED_AGENCIES.items()
    ]
    emit(rows, as_json=as_json, render=_render)


@app.command("down")
def down_command(kind: DocumentKind = KindArgument, data: Path | None = DataOption) -> None:
    """Tell a simulated agency it is down: the wallet's questions to it fail until it is up again."""
    _switch(kind, available=False, data=data)


@app.command("up")
def up_command(kind: DocumentKind = KindArgument, data: Path | None = DataOption) -> None:
    """Bring a simulated agency back: the documents waiting for it are asked again by the worker."""
    _switch(kind, available=True, data=data)


def _switch(kind: DocumentKind, *, available: bool, data: Path | None) -> None:
    context = command_context(data)
    with unit_of_work(context.database.sessions) as session:
        changed = service.set_available(
            session=session, clock=context.clock, actor=cli_actor(), kind=kind, available=available
        )
    state = "up" if available else "down"
    console.print(f"the simulated agency for {kind.value} is {state}" + ("" if changed else " already"))


def _render(rows: list[dict[str, str | None]]) -> None:
    table = Table("kind", "state", "agency")
    for row in rows:
        table.add_row(row["kind"], f"down since {row['down_since']}" if row["down_since"] else "up", row["agency"])
    console.print(table)
