"""``civicid registry``: figures, search, import and export of the population registry."""

from __future__ import annotations

import dataclasses
import sys
from pathlib import Path
from typing import Any

import typer
from rich.table import Table

from civicid.core.audit import cli_actor, record
from civicid.core.console import DataOption, JsonOption, command_context, console, emit, fail, tell
from civicid.core.database import unit_of_work
from civicid.registry import importing, service
from civicid.registry.ports import PersonStatus, PersonStatuses, no_statuses

app = typer.Typer(no_args_is_help=True)

CommuneOption = typer.Option(None, "--commune", help="Only this commune (5-digit code).")
QueryArgument = typer.Argument(None, help="Any words of the name, with or without diacritics.")
IdNumberOption = typer.Option(None, "--id-number", help="An exact 12-digit ID number.")
VillageOption = typer.Option(None, "--village", help="Only this village (its id).")
LimitOption = typer.Option(20, "--limit", min=1, max=service.SEARCH_LIMIT_MAX)
OffsetOption = typer.Option(0, "--offset", min=0, max=service.SEARCH_OFFSET_MAX, help="Skip this many results.")

#: What a search shows beside each person from the capabilities above the registry (ports.py).
#: The ``civicid`` command plugs the enrollment's ``statuses_of`` in when it composes its commands.
person_statuses: PersonStatuses = no_statuses
ImportFileArgument = typer.Argument(
    ..., help="CSV file in the registry-csv/1 format (docs/formats/registry-csv-v1.md)."
)
OutOption = typer.Option(None, "--out", help="Write to this file instead of standard output.")


@app.command("stats")
def stats_command(data: Path | None = DataOption, as_json: bool = JsonOption) -> None:
    """Villages, households, persons, and persons by age group (under 6, 6 to 13, 14 and over)."""
    context = command_context(data)
    with unit_of_work(context.database.sessions) as session:
        stats = service.registry_stats(session=session, reference_date=context.clock.today())
    emit(stats.model_dump(), as_json=as_json, render=_render_stats)


@app.command("search")
def search_command(
    query: str | None = QueryArgument,
    id_number: str | None = IdNumberOption,
    village_id: int | None = VillageOption,
    limit: int = LimitOption,
    offset: int = OffsetOption,
    data: Path | None = DataOption,
    as_json: bool = JsonOption,
) -> None:
    """Find persons by ID number or by any words of the name; every search is audited.

    Whole names starting with the words come first. The account's and the last application's
    status are shown beside each person. When more match than ``--limit``, a line on stderr says so.
    """
    if not (query or id_number or village_id):
        fail("give a name, --id-number or --village")
    context = command_context(data)
    with unit_of_work(context.database.sessions) as session:
        page = service.search_page(
            session=session,
            clock=context.clock,
            actor=cli_actor(),
            query=query,
            id_number=id_number,
            village_id=village_id,
            offset=offset,
            limit=limit,
        )
        statuses = person_statuses(session=session, persons=[(p.id, p.id_number) for p in page.persons])
    rows = [_with_status(p.model_dump(mode="json"), statuses.get(p.id, PersonStatus())) for p in page.persons]
    emit(rows, as_json=as_json, render=_render_persons)
    if page.more:
        shown = f"{offset + 1}-{offset + len(rows)}"
        tell(f"showing {shown}; more persons match: --offset {offset + len(rows)} for the next ones")


def _with_status(row: dict[str, Any], status: PersonStatus) -> dict[str, Any]:
    return row | {"account": status.account, "application": status.application}


@app.command("villages")
def villages_command(
    commune: str | None = CommuneOption,
    data: Path | None = DataOption,
    as_json: bool = JsonOption,
) -> None:
    """The villages with their distance, signal, households and persons."""
    context = command_context(data)
    with unit_of_work(context.database.sessions) as session:
        villages = service.list_villages(session=session, commune_code=commune)
    emit([v.model_dump(mode="json") for v in villages], as_json=as_json, render=_render_villages)


@app.command("import")
def import_command(
    file: Path = ImportFileArgument,
    data: Path | None = DataOption,
    as_json: bool = JsonOption,
) -> None:
    """Import persons from CSV: all rows or none; every bad row is reported with its line number."""
    if not file.is_file():
        fail(f"{file} is not a readable file")
    context = command_context(data)
    try:
        with file.open(encoding="utf-8-sig", newline="") as stream:
            rows = importing.read_rows(stream)
        with unit_of_work(context.database.sessions) as session:
            report = importing.import_rows(session=session, clock=context.clock, actor=cli_actor(), rows=rows)
    except UnicodeDecodeError:
        fail(f"{file} is not UTF-8 text")
    except importing.ImportRejected as exc:
        _report_rejection(exc, as_json=as_json)
    emit(
        dataclasses.asdict(report),
        as_json=as_json,
        render=lambda r: console.print(
            f"imported {r['persons']} persons ({r['households_created']} new households, "
            f"{r['villages_created']} new villages, {r['communes_created']} new communes)"
        ),
    )


@app.command("export")
def export_command(
    out: Path | None = OutOption,
    commune: str | None = CommuneOption,
    data: Path | None = DataOption,
) -> None:
    """Export persons in the import format (registry-csv/1). The export is audited."""
    context = command_context(data)
    with unit_of_work(context.database.sessions) as session:
        if out is None:
            count = importing.write_rows(session=session, out=sys.stdout, commune_code=commune)
        else:
            with out.open("w", encoding="utf-8", newline="") as stream:
                count = importing.write_rows(session=session, out=stream, commune_code=commune)
        record(
            session=session,
            clock=context.clock,
            actor=cli_actor(),
            action="registry.export",
            subject_type="registry",
            subject_id=commune or "*",
            details={"persons": count},
        )
    if out is not None:
        tell(f"exported {count} persons to {out}")


def _report_rejection(exc: importing.ImportRejected, *, as_json: bool) -> None:
    errors: list[dict[str, Any]] = exc.extensions.get("errors", [])
    if as_json:
        emit({"error": exc.code, "detail": exc.detail, "errors": errors}, as_json=True)
    else:
        for error in errors:
            tell(f"line {error['line']}: {error['reason']}")
    fail(exc.detail)


def _render_stats(stats: dict[str, Any]) -> None:
    table = Table(title="Registry")
    table.add_column("")
    table.add_column("count", justify="right")
    for key in ("villages", "households", "persons"):
        table.add_row(key, f"{stats[key]:,}")
    for group, count in stats["persons_by_age_group"].items():
        table.add_row(f"persons {group.replace('_', ' ')}", f"{count:,}")
    console.print(table)


_PERSON_COLUMNS = ("id", "id_number", "full_name", "date_of_birth", "sex", "village_id", "account", "application")


def _render_persons(rows: list[dict[str, Any]]) -> None:
    table = Table()
    for column in _PERSON_COLUMNS:
        table.add_column(column)
    for row in rows:
        table.add_row(*("-" if row[c] is None else str(row[c]) for c in _PERSON_COLUMNS))
    console.print(table if rows else "no match")


def _render_villages(rows: list[dict[str, Any]]) -> None:
    table = Table()
    for column in ("id", "name", "distance_km", "signal", "households", "persons"):
        table.add_column(column)
    for row in rows:
        table.add_row(*(str(row[c]) for c in ("id", "name", "distance_km", "signal", "households", "persons")))
    console.print(table)
