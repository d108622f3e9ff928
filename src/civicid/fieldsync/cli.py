"""The server's commands for field kits: ``civicid field enrollment-file`` and ``civicid intake import``.

Both run at the commune office against the server's database; the kit's own commands are in
``field/cli.py``. The root command (``civicid/cli.py``) mounts them in the ``field`` and ``intake`` groups.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import typer

from civicid.core.audit import cli_actor
from civicid.core.console import DataOption, JsonOption, command_context, console, emit, fail
from civicid.core.database import unit_of_work
from civicid.devices import enrollment_file
from civicid.enrollment.runtime import blobs_of, keystore_of
from civicid.fieldsync.relay_import import import_bundle

intake_app = typer.Typer(no_args_is_help=True)

EnrollmentOutOption = typer.Option(..., "--out", help="Where to write the encrypted enrollment file.")
BundleArgument = typer.Argument(..., help="A relay bundle written by `civicid field export`.")


def enrollment_file_command(
    commune: str = typer.Option(..., "--commune", help="The commune the new kit serves."),
    out: Path = EnrollmentOutOption,
    server_url: str = typer.Option(..., "--server-url", help="The URL the kit will sync with once online."),
    data: Path | None = DataOption,
) -> None:
    """(Server) Register a new kit and write its enrollment file for offline set-up; prints the passphrase once."""
    context = command_context(data)
    with unit_of_work(context.database.sessions) as session:
        content, passphrase, device_id = enrollment_file.make_enrollment_file(
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


def _render_import(report: dict[str, Any]) -> None:
    console.print(
        f"from device {report['device_id']}: {len(report['received'])} new, "
        f"{len(report['replayed'])} already held, {len(report['refused'])} refused"
    )
    for application_id, reason in report["refused"].items():
        console.print(f"  refused {application_id}: {reason}")
