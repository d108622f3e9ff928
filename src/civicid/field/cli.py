"""``civicid field …``: the kit's commands (the server's for kits are in ``fieldsync/cli.py``).

Every command works on the kit folder given by ``--data`` (default ``./civicid-kit``), opens its own
transactions and reports bad input as one line with exit status 2.
"""

from __future__ import annotations

import os
import random
from pathlib import Path
from typing import Any

import httpx
import typer
from rich.table import Table

from civicid.core.console import JsonOption, command_clock, console, emit, fail, tell
from civicid.field import setup
from civicid.field.guardrails import GuardRails
from civicid.field.kit import Kit
from civicid.field.models import KitIdentity, KitOperator, OperatorRole
from civicid.field.operators import add_operator
from civicid.field.relay import write_bundle
from civicid.field.status import kit_status
from civicid.field.sync import KitSync
from civicid.field.unlock import KitLogin

app = typer.Typer(no_args_is_help=True)

KitOption = typer.Option(Path("civicid-kit"), "--data", help="The kit's folder (its database, key and sealed parts).")
EnrollmentFileOption = typer.Option(
    None, "--enrollment-file", help="Set up offline from the file `civicid field enrollment-file` wrote."
)
BundleOutOption = typer.Option(..., "--out", help="The relay bundle to write (e.g. on a USB stick).")
PASSWORD_ENV = "CIVICID_ADMIN_PASSWORD"  # noqa: S105 - the name of a variable, not a password
PASSPHRASE_ENV = "CIVICID_ENROLLMENT_PASSPHRASE"  # noqa: S105 - the name of a variable
KIT_USER_ENV = "CIVICID_KIT_USER"
KIT_PASSWORD_ENV = "CIVICID_KIT_PASSWORD"  # noqa: S105 - the name of a variable
NEW_PASSWORD_ENV = "CIVICID_KIT_NEW_PASSWORD"  # noqa: S105 - the name of a variable
# The kit's database and keys open only with an operator's password (decision 0068).
KitUserOption = typer.Option(
    None,
    "--user",
    envvar=KIT_USER_ENV,
    help="Who unlocks the kit: an operator's user name on it (the password is asked, or read from "
    f"${KIT_PASSWORD_ENV}).",
)


def open_kit(data: Path, user: str | None) -> Kit:
    """The kit in ``data``, unlocked by ``user``'s password (asked, or from $CIVICID_KIT_PASSWORD)."""
    Kit.check_folder(data)
    if not user:
        fail(f"say who unlocks the kit: --user NAME (or ${KIT_USER_ENV}), an operator's user name on it")
    password = os.environ.get(KIT_PASSWORD_ENV) or typer.prompt(f"Password of {user} on this kit", hide_input=True)
    return Kit.open(data, KitLogin(user, password))


@app.command("init")
def init_command(
    data: Path = KitOption,
    server: str | None = typer.Option(None, "--server", help="The central server's URL (online set-up)."),
    commune: str | None = typer.Option(None, "--commune", help="The commune this kit serves (5 digits)."),
    admin: str | None = typer.Option(None, "--admin", help="An administrator's user name (online set-up)."),
    enrollment_file: Path | None = EnrollmentFileOption,
    supervisor: str = typer.Option(
        ..., "--supervisor", help="The kit's first supervisor: their password (asked twice) unlocks the kit."
    ),
    supervisor_name: str = typer.Option(..., "--supervisor-name", help="The supervisor's full name."),
    max_days_without_sync: float = typer.Option(3, "--max-days-without-sync", min=0.01),
    max_unsent: int = typer.Option(300, "--max-unsent", min=1),
    min_free_disk_mb: float = typer.Option(200, "--min-free-disk-mb", min=0),
    max_clock_drift_minutes: float = typer.Option(30, "--max-clock-drift-minutes", min=0.1),
    as_json: bool = JsonOption,
) -> None:
    """Register this kit with the server: online (--server, --commune, --admin) or offline (--enrollment-file).

    The kit's first supervisor is named here; their password ($CIVICID_KIT_PASSWORD, or asked twice)
    unlocks the kit's encrypted database and keys from then on.
    """
    clock = command_clock()
    first = setup.FirstSupervisor(KitLogin(supervisor, _new_password(supervisor, KIT_PASSWORD_ENV)), supervisor_name)
    if enrollment_file is not None:
        passphrase = os.environ.get(PASSPHRASE_ENV) or typer.prompt("Enrollment passphrase", hide_input=True)
        try:
            content = enrollment_file.read_bytes()
        except OSError as exc:
            fail(f"cannot read {enrollment_file}: {exc.strerror}")
        enrollment = setup.enroll_from_file(
            root=data, clock=clock, data=content, passphrase=passphrase, supervisor=first
        )
        if commune is not None and commune != enrollment.commune_code:
            fail(f"the enrollment file is for commune {enrollment.commune_code}, not {commune}")
    else:
        if not (server and commune and admin):
            fail("online set-up needs --server, --commune and --admin (or use --enrollment-file)")
        password = os.environ.get(PASSWORD_ENV) or typer.prompt(f"Password of {admin}", hide_input=True)
        with httpx.Client(base_url=server, timeout=30) as client:
            enrollment = setup.enroll_online(
                root=data,
                clock=clock,
                client=client,
                commune_code=commune,
                username=admin,
                password=password,
                supervisor=first,
            )
    rails = GuardRails(
        max_days_without_sync=max_days_without_sync,
        max_unsent_captures=max_unsent,
        min_free_disk_mb=min_free_disk_mb,
        max_clock_drift_minutes=max_clock_drift_minutes,
    )
    kit = Kit.open(data, first.login)
    with kit.transaction() as session:
        identity = session.get(KitIdentity, 1)
        assert identity is not None  # noqa: S101 - just recorded
        identity.guardrails = rails.model_dump()
    emit(
        {
            "device_id": enrollment.device_id,
            "commune_code": enrollment.commune_code,
            "server_url": enrollment.server_url,
        },
        as_json=as_json,
        render=lambda d: console.print(
            f"kit {d['device_id']} ready for commune {d['commune_code']} ({d['server_url']})"
        ),
    )


@app.command("operator")
def operator_command(
    username: str = typer.Argument(..., help="The operator's user name on this kit."),
    full_name: str = typer.Option(..., "--name", help="Full name, shown on captures and reviews."),
    supervisor: bool = typer.Option(False, "--supervisor", help="May review (approve or reject) others' captures."),
    user: str | None = KitUserOption,
    data: Path = KitOption,
) -> None:
    """A supervisor (--user) adds an operator or resets their password ($CIVICID_KIT_NEW_PASSWORD, or asked twice)."""
    kit = open_kit(data, user)
    role = OperatorRole.SUPERVISOR if supervisor else OperatorRole.OPERATOR
    with kit.transaction() as session:
        acting = session.get(KitOperator, user)
        if acting is None or acting.role is not OperatorRole.SUPERVISOR:
            fail("only a supervisor of this kit adds operators or resets their passwords")
    password = _new_password(username, NEW_PASSWORD_ENV)
    with kit.transaction() as session:
        add_operator(kit=kit, session=session, username=username, full_name=full_name, role=role, password=password)
    tell(f"{role.value} {username} can log in on this kit")


def _new_password(username: str, variable: str) -> str:
    """A password being set: from ``variable`` in the environment, or asked twice."""
    return os.environ.get(variable) or typer.prompt(
        f"New password of {username}", hide_input=True, confirmation_prompt=True
    )


@app.command("sync")
def sync_command(
    user: str | None = KitUserOption,
    data: Path = KitOption,
    weak_link: bool = typer.Option(False, "--weak-link", help="Send only what the pipeline needs first."),
    as_json: bool = JsonOption,
) -> None:
    """Sync once: send pending packets part by part, then visits and the down-sync."""
    kit = open_kit(data, user)
    with kit.transaction() as session:
        identity = session.get(KitIdentity, 1)
        assert identity is not None  # noqa: S101 - Kit.open checked it
        server = identity.server_url
    with httpx.Client(base_url=server, timeout=httpx.Timeout(60, connect=15)) as client:
        report = KitSync(
            kit=kit, clock=command_clock(), client=client, rng=random.SystemRandom(), send_later_parts=not weak_link
        ).run()
    result = {**report.__dict__, "complete": report.complete}
    emit(result, as_json=as_json, render=_render_sync)
    if not report.complete:
        raise typer.Exit(code=1)


@app.command("status")
def status_command(user: str | None = KitUserOption, data: Path = KitOption, as_json: bool = JsonOption) -> None:
    """The outbox by state, what is unsent, and whether the guard-rails allow new captures."""
    kit = open_kit(data, user)
    with kit.transaction() as session:
        status = kit_status(kit=kit, session=session, clock=command_clock())
    emit(status, as_json=as_json, render=_render_status)


@app.command("export")
def export_command(
    out: Path = BundleOutOption,
    user: str | None = KitUserOption,
    data: Path = KitOption,
) -> None:
    """Write every approved packet still on the kit to one signed, still-sealed relay bundle."""
    kit = open_kit(data, user)
    with kit.transaction() as session:
        bundle, count = write_bundle(kit=kit, session=session, clock=command_clock())
    try:
        out.write_bytes(bundle)
    except OSError as exc:
        fail(f"cannot write {out}: {exc.strerror}")
    tell(f"{count} packets written to {out} ({len(bundle)} bytes); they stay on the kit until the server has them")


def _render_sync(result: dict[str, Any]) -> None:
    console.print(
        f"packets tried {result['packets_tried']}, on the server {result['packets_on_server']}, "
        f"{result['bytes_sent']} bytes sent, {result['statuses_applied']} statuses, {result['visits_sent']} visits"
    )
    for error in result["errors"]:
        console.print(f"  [yellow]{error}[/yellow]")
    for anomaly in result["anomalies"]:
        console.print(f"  [red]needs a look: {anomaly}[/red]")


def _render_status(status: dict[str, Any]) -> None:
    table = Table(title=f"Kit {status['device_id']} — outbox")
    table.add_column("state")
    table.add_column("captures", justify="right")
    for state, count in status["outbox"]["by_state"].items():
        table.add_row(state, str(count))
    console.print(table)
    console.print(f"unsent: {status['outbox']['unsent']}; last sync: {status['sync']['last_sync_at'] or 'never'}")
    rails = status["guardrails"]
    if rails["captures_allowed"]:
        console.print("[green]new captures allowed[/green]")
    for refusal in rails["refusals"]:
        console.print(f"[red]refused[/red] {refusal['message']}")
