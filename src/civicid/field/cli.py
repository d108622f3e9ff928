"""``civicid field …`` (the kit's commands) and ``civicid intake import`` (the commune office's).

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

from civicid.core.console import DataOption, JsonOption, command_clock, command_context, console, emit, fail, tell
from civicid.core.database import unit_of_work
from civicid.field import setup
from civicid.field.guardrails import GuardRails
from civicid.field.kit import Kit
from civicid.field.models import KitIdentity, OperatorRole
from civicid.field.operators import add_operator
from civicid.field.relay import import_bundle, write_bundle
from civicid.field.status import kit_status
from civicid.field.sync import KitSync

app = typer.Typer(no_args_is_help=True)
intake_app = typer.Typer(no_args_is_help=True)

KitOption = typer.Option(Path("civicid-kit"), "--data", help="The kit's folder (its database, key and sealed parts).")
EnrollmentFileOption = typer.Option(
    None, "--enrollment-file", help="Set up offline from the file `civicid field enrollment-file` wrote."
)
BundleOutOption = typer.Option(..., "--out", help="The relay bundle to write (e.g. on a USB stick).")
EnrollmentOutOption = typer.Option(..., "--out", help="Where to write the encrypted enrollment file.")
BundleArgument = typer.Argument(..., help="A relay bundle written by `civicid field export`.")
PASSWORD_ENV = "CIVICID_ADMIN_PASSWORD"  # noqa: S105 - the name of a variable, not a password
PASSPHRASE_ENV = "CIVICID_ENROLLMENT_PASSPHRASE"  # noqa: S105 - the name of a variable


@app.command("init")
def init_command(
    data: Path = KitOption,
    server: str | None = typer.Option(None, "--server", help="The central server's URL (online set-up)."),
    commune: str | None = typer.Option(None, "--commune", help="The commune this kit serves (5 digits)."),
    admin: str | None = typer.Option(None, "--admin", help="An administrator's user name (online set-up)."),
    enrollment_file: Path | None = EnrollmentFileOption,
    max_days_without_sync: float = typer.Option(3, "--max-days-without-sync", min=0.01),
    max_unsent: int = typer.Option(300, "--max-unsent", min=1),
    min_free_disk_mb: float = typer.Option(200, "--min-free-disk-mb", min=0),
    max_clock_drift_minutes: float = typer.Option(30, "--max-clock-drift-minutes", min=0.1),
    as_json: bool = JsonOption,
) -> None:
    """Register this kit with the server: online (--server, --commune, --admin) or offline (--enrollment-file)."""
    clock = command_clock()
    if enrollment_file is not None:
        passphrase = os.environ.get(PASSPHRASE_ENV) or typer.prompt("Enrollment passphrase", hide_input=True)
        try:
            content = enrollment_file.read_bytes()
        except OSError as exc:
            fail(f"cannot read {enrollment_file}: {exc.strerror}")
        enrollment = setup.enroll_from_file(root=data, clock=clock, data=content, passphrase=passphrase)
        if commune is not None and commune != enrollment.commune_code:
            fail(f"the enrollment file is for commune {enrollment.commune_code}, not {commune}")
    else:
        if not (server and commune and admin):
            fail("online set-up needs --server, --commune and --admin (or use --enrollment-file)")
        password = os.environ.get(PASSWORD_ENV) or typer.prompt(f"Password of {admin}", hide_input=True)
        with httpx.Client(base_url=server, timeout=30) as client:
            enrollment = setup.enroll_online(
                root=data, clock=clock, client=client, commune_code=commune, username=admin, password=password
            )
    rails = GuardRails(
        max_days_without_sync=max_days_without_sync,
        max_unsent_captures=max_unsent,
        min_free_disk_mb=min_free_disk_mb,
        max_clock_drift_minutes=max_clock_drift_minutes,
    )
    kit = Kit.open(data)
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
    data: Path = KitOption,
) -> None:
    """Add an operator (or reset their password); the password is asked twice, or read from $CIVICID_KIT_PASSWORD."""
    password = os.environ.get("CIVICID_KIT_PASSWORD") or typer.prompt(
        "Password", hide_input=True, confirmation_prompt=True
    )
    kit = Kit.open(data)
    role = OperatorRole.SUPERVISOR if supervisor else OperatorRole.OPERATOR
    with kit.transaction() as session:
        add_operator(session=session, username=username, full_name=full_name, role=role, password=password)
    tell(f"{role.value} {username} can log in on this kit")


@app.command("serve")
def serve_command(
    data: Path = KitOption,
    port: int = typer.Option(8100, "--port", min=1, max=65535, help="The port on 127.0.0.1."),
    sync_every: float = typer.Option(
        60, "--sync-every", min=0, help="Seconds between checks whether a sync is due; 0 turns automatic sync off."
    ),
) -> None:
    """Serve the operator's pages on 127.0.0.1 (never on the network), syncing in the background when due."""
    import uvicorn

    from civicid.field.app import create_kit_app
    from civicid.field.sources import SimulatedSource

    kit = Kit.open(data)
    app_ = create_kit_app(kit, command_clock(), source=SimulatedSource(), auto_sync_every=sync_every or None)
    tell(f"kit pages on http://127.0.0.1:{port}/")
    # No access log: request lines name households and persons (DESIGN.md decision 10).
    uvicorn.run(app_, host="127.0.0.1", port=port, server_header=False, access_log=False)


@app.command("sync")
def sync_command(
    data: Path = KitOption,
    weak_link: bool = typer.Option(False, "--weak-link", help="Send only what the pipeline needs first."),
    as_json: bool = JsonOption,
) -> None:
    """Sync once: send pending packets part by part, then visits and the down-sync."""
    kit = Kit.open(data)
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
def status_command(data: Path = KitOption, as_json: bool = JsonOption) -> None:
    """The outbox by state, what is unsent, and whether the guard-rails allow new captures."""
    kit = Kit.open(data)
    with kit.transaction() as session:
        status = kit_status(kit=kit, session=session, clock=command_clock())
    emit(status, as_json=as_json, render=_render_status)


@app.command("capture")
def capture_command(
    from_sim: int = typer.Option(..., "--from-sim", min=1, max=10_000, help="Simulated captures to make."),
    photos: bool = typer.Option(False, "--photos", help="Camera-sized JPEG portraits instead of small drawings."),
    review: bool = typer.Option(True, "--review/--no-review", help="Approve them as a simulated supervisor."),
    data: Path = KitOption,
    as_json: bool = JsonOption,
) -> None:
    """Capture N simulated adults of the kit's villages who have no application yet (tests and demos)."""
    from civicid.sim.field import capture_from_sim

    kit = Kit.open(data)
    day = capture_from_sim(
        kit=kit, clock=command_clock(), count=from_sim, photos=photos, supervisor="sim-supervisor" if review else None
    )
    emit(
        {"captured": len(day.captured), "approved": day.approved, "application_ids": day.captured},
        as_json=as_json,
        render=lambda d: console.print(f"{d['captured']} captured, {d['approved']} approved on the kit"),
    )


@app.command("export")
def export_command(
    out: Path = BundleOutOption,
    data: Path = KitOption,
) -> None:
    """Write every approved packet still on the kit to one signed, still-sealed relay bundle."""
    kit = Kit.open(data)
    with kit.transaction() as session:
        bundle, count = write_bundle(kit=kit, session=session, clock=command_clock())
    try:
        out.write_bytes(bundle)
    except OSError as exc:
        fail(f"cannot write {out}: {exc.strerror}")
    tell(f"{count} packets written to {out} ({len(bundle)} bytes); they stay on the kit until the server has them")


@app.command("enrollment-file")
def enrollment_file_command(
    commune: str = typer.Option(..., "--commune", help="The commune the new kit serves."),
    out: Path = EnrollmentOutOption,
    server_url: str = typer.Option(..., "--server-url", help="The URL the kit will sync with once online."),
    data: Path | None = DataOption,
) -> None:
    """(Server) Register a new kit and write its enrollment file for offline set-up; prints the passphrase once."""
    from civicid.core.audit import cli_actor
    from civicid.enrollment.runtime import keystore_of

    context = command_context(data)
    with unit_of_work(context.database.sessions) as session:
        content, passphrase, device_id = setup.make_enrollment_file(
            session=session,
            clock=context.clock,
            actor=cli_actor(),
            commune_code=commune,
            server_url=server_url,
            sealing_key=keystore_of(context).sealing_public_key(),
        )
        try:
            out.write_bytes(content)
        except OSError as exc:
            fail(f"cannot write {out}: {exc.strerror}")
    console.print(f"device {device_id} registered; enrollment file {out}")
    console.print(f"passphrase (shown once, type it on the kit): [bold]{passphrase}[/bold]")


@intake_app.command("import")
def import_command(
    bundle: Path = BundleArgument,
    data: Path | None = DataOption,
    as_json: bool = JsonOption,
) -> None:
    """(Server) Import a kit's relay bundle with the same idempotency as online sync."""
    from civicid.enrollment.runtime import blobs_of

    try:
        content = bundle.read_bytes()
    except OSError as exc:
        fail(f"cannot read {bundle}: {exc.strerror}")
    context = command_context(data)
    report = import_bundle(
        data=content,
        transaction=lambda: unit_of_work(context.database.sessions),
        clock=context.clock,
        blobs=blobs_of(context),
    )
    emit(report.__dict__, as_json=as_json, render=_render_import)


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


def _render_import(report: dict[str, Any]) -> None:
    console.print(
        f"from device {report['device_id']}: {len(report['received'])} new, "
        f"{len(report['replayed'])} already held, {len(report['refused'])} refused"
    )
    for application_id, reason in report["refused"].items():
        console.print(f"  refused {application_id}: {reason}")
