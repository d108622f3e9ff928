"""``civicid staff``: staff accounts and roles."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import typer
from rich.table import Table

from civicid.core.audit import cli_actor
from civicid.core.console import DataOption, JsonOption, command_context, console, emit, fail
from civicid.core.database import unit_of_work
from civicid.web import staff_service
from civicid.web.schemas import StaffRead
from civicid.web.staff import StaffRole

staff_app = typer.Typer(no_args_is_help=True)
RoleOption = typer.Option(..., "--role", help="What the account may do.", case_sensitive=False)


def _read_password(from_stdin: bool) -> str:
    if from_stdin:
        # One line; the newline that ends it is not part of the password.
        return sys.stdin.readline().rstrip("\r\n")
    password: str = typer.prompt("Password", hide_input=True, confirmation_prompt=True)
    return password


@staff_app.command("create")
def create_command(
    username: str = typer.Argument(..., help="Login name: 3-60 lower-case letters, digits, '.', '_' or '-'."),
    role: StaffRole = RoleOption,
    commune: str = typer.Option(None, "--commune", help="Bind the account to this commune (5-digit code)."),
    password_stdin: bool = typer.Option(
        False, "--password-stdin", help="Read the password from the first line of standard input (no prompt)."
    ),
    data: Path | None = DataOption,
    as_json: bool = JsonOption,
) -> None:
    """Open a staff account; the password is asked for twice, hidden, unless given on standard input."""
    password = _read_password(password_stdin)
    if not password:
        fail("the password is empty")
    context = command_context(data)
    with unit_of_work(context.database.sessions) as session:
        account = staff_service.create_staff(
            session=session,
            clock=context.clock,
            username=username,
            password=password,
            role=role,
            commune_code=commune,
            actor=cli_actor(),
        )
        created = StaffRead.model_validate(account)
    emit(
        created.model_dump(mode="json"),
        as_json=as_json,
        render=lambda r: console.print(f"created {r['username']} ({r['role']})"),
    )


@staff_app.command("list")
def list_command(data: Path | None = DataOption, as_json: bool = JsonOption) -> None:
    """Every staff account with its role, commune and state."""
    context = command_context(data)
    with unit_of_work(context.database.sessions) as session:
        accounts = [
            StaffRead.model_validate(a).model_dump(mode="json") for a in staff_service.list_staff(session=session)
        ]
    emit(accounts, as_json=as_json, render=_render_staff)


def _render_staff(rows: list[dict[str, Any]]) -> None:
    table = Table("username", "role", "commune", "active", "created")
    for row in rows:
        table.add_row(
            row["username"],
            row["role"],
            row["commune_code"] or "-",
            "yes" if row["active"] else "no",
            row["created_at"][:10],
        )
    console.print(table)
