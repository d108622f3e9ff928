"""``civicid country``: read ID numbers, card QR text and MRZs; list administrative units.

Every command accepts ``--json``. Domain errors propagate to the root command, which prints one line
on stderr and exits with status 2 (DESIGN.md decision 12).
"""

from __future__ import annotations

import dataclasses
import re
from datetime import date
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table
from rich.text import Text

from civicid.core.console import JsonOption, command_clock, console, emit, fail, read_text_argument
from civicid.country.admin_units import list_communes, list_provinces
from civicid.country.card_qr import parse_card_qr
from civicid.country.errors import InvalidMrz
from civicid.country.id_number import parse_id_number
from civicid.country.mrz import parse_mrz
from civicid.country.sex import Sex

app = typer.Typer(no_args_is_help=True, help="Vietnam's country profile: ID numbers, card QR, MRZ, places.")

_ISO_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


@app.command("check-id")
def check_id(
    number: Annotated[str, typer.Argument(help="The 12-digit personal identification number.")],
    dob: Annotated[str | None, typer.Option("--dob", help="Date of birth YYYY-MM-DD, to check against.")] = None,
    sex: Annotated[
        Sex | None, typer.Option("--sex", help="Sex M or F, to check against.", case_sensitive=False)
    ] = None,
    as_json: bool = JsonOption,
) -> None:
    """Decode an ID number (province of birth registration, sex, birth year) and check it.

    A birth year after this year is refused, as are a date of birth or sex the number contradicts.
    """
    decoded = parse_id_number(
        number, date_of_birth=_iso_date("--dob", dob) if dob else None, sex=sex, today=command_clock().today()
    )
    emit(dataclasses.asdict(decoded), as_json=as_json, render=_render_fields)


@app.command("parse-card-qr")
def parse_card_qr_command(
    text: Annotated[str, typer.Argument(help="The QR text, '|'-separated; '-' reads standard input.")],
    as_json: bool = JsonOption,
) -> None:
    """Read the text of a chip ID card's QR code and report missing fields."""
    card = parse_card_qr(read_text_argument(text))
    emit(dataclasses.asdict(card), as_json=as_json, render=_render_fields)


@app.command("parse-mrz")
def parse_mrz_command(
    file: Annotated[str, typer.Argument(help="A file holding the 3 MRZ lines; '-' reads standard input.")],
    as_json: bool = JsonOption,
) -> None:
    """Read a card's MRZ (ICAO 9303 TD1) and show which check digits hold; exit 2 if any fails."""
    mrz = parse_mrz(_read_file(file), reference_date=command_clock().today(), strict=False)
    emit({**dataclasses.asdict(mrz), "valid": mrz.valid}, as_json=as_json, render=_render_fields)
    if not mrz.valid:
        raise InvalidMrz(
            f"MRZ check digits fail: {', '.join(mrz.failing_checks)}",
            fault="check_digit",
            failing_checks=mrz.failing_checks,
        )


@app.command("provinces")
def provinces(as_json: bool = JsonOption) -> None:
    """List the 34 provinces (since 1 July 2025) with their 2-digit codes."""
    rows = [dataclasses.asdict(province) for province in list_provinces()]
    emit(rows, as_json=as_json, render=_render_rows)


@app.command("communes")
def communes(
    province: Annotated[str | None, typer.Option("--province", help="Only this province's (2-digit code).")] = None,
    as_json: bool = JsonOption,
) -> None:
    """List communes (xã, phường, đặc khu) with their 5-digit codes."""
    rows = [dataclasses.asdict(commune) for commune in list_communes(province)]
    emit(rows, as_json=as_json, render=_render_rows)


def _iso_date(option: str, value: str) -> date:
    if _ISO_DATE.fullmatch(value):
        try:
            return date.fromisoformat(value)
        except ValueError:
            pass
    fail(f"{option} {value!r} is not a date YYYY-MM-DD")


def _read_file(path: str) -> str:
    if path == "-":
        return read_text_argument(path)
    try:
        return Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        fail(f"cannot read {path}: {exc}")


def _render_fields(data: dict[str, Any]) -> None:
    table = Table(show_header=False, box=None)
    table.add_column(style="bold")
    table.add_column()
    for name, value in data.items():
        if isinstance(value, dict):
            for check, holds in value.items():
                table.add_row(f"check {check}", Text("holds") if holds else Text("FAILS", style="red"))
        else:
            table.add_row(name, _text(value))
    console.print(table)


def _render_rows(rows: list[dict[str, Any]]) -> None:
    if not rows:
        console.print("(none)")
        return
    table = Table(*rows[0].keys())
    for row in rows:
        table.add_row(*(_text(value) for value in row.values()))
    console.print(table)
    console.print(f"{len(rows)} rows")


def _text(value: Any) -> Text:
    """Values are shown as plain text: a name or address must never be read as Rich markup."""
    return Text(_plain(value))


def _plain(value: Any) -> str:
    if value is None:
        return "—"
    if isinstance(value, tuple | list):
        return ", ".join(str(item) for item in value) or "—"
    if isinstance(value, date):
        return value.isoformat()
    return str(value)
