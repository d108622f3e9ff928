"""The ``civicid`` command: one Typer app with a sub-command group per capability."""

from __future__ import annotations

from typing import Any

import typer
from sqlalchemy.exc import DBAPIError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from typer.core import TyperGroup

from civicid.core.clock import SystemClock
from civicid.core.console import Invocation, fail, invoked_as
from civicid.core.errors import CivicIDError
from civicid.core.outage import is_outage
from civicid.country.zone import TIME_ZONE


class _Root(TyperGroup):
    """Runs every sub-command with its caller's :class:`Invocation` (the clock: by default the system's,
    in the country's zone), and reports any domain error from any sub-command, and a database that
    stops answering in the middle of one, as one line and exit status 2."""

    # Typer vendors its own click, whose Context is not public: hence Any.
    def invoke(self, ctx: Any) -> Any:
        invocation = ctx.obj if isinstance(ctx.obj, Invocation) else Invocation(clock=SystemClock(zone=TIME_ZONE))
        try:
            with invoked_as(invocation):
                return super().invoke(ctx)
        except CivicIDError as exc:
            fail(f"{exc.detail} ({exc.code})")
        except (DBAPIError, PoolTimeout) as exc:
            if not is_outage(exc):
                raise
            # Only the driver's error class: its message may quote the statement's parameters.
            cause = exc.orig if isinstance(exc, DBAPIError) else exc
            fail(f"the database stopped answering ({type(cause).__name__}); run the command again once it does")


app = typer.Typer(
    cls=_Root,
    name="civicid",
    help="CivicID: electronic identity for door-to-door level-2 enrollment campaigns.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    # Plain click errors: "Error: …" on one line, not a drawn box, for people and scripts alike.
    rich_markup_mode=None,
    add_completion=False,
)


def _mount() -> None:
    # Imported here so that `civicid --help` does not pay for every capability's imports twice.
    from civicid.agencies.cli import app as agencies_app
    from civicid.campaign.cli import app as campaign_app
    from civicid.core.cli import db_app
    from civicid.country.cli import app as country_app
    from civicid.credentials.cli import app as credentials_app
    from civicid.credentials.cli import verify_command, wallet_app
    from civicid.enrollment.cli import app as enrollment_app
    from civicid.enrollment.person_status import statuses_of
    from civicid.field.cli import app as field_app
    from civicid.fieldsync.cli import enrollment_file_command, intake_app
    from civicid.help.cli import app as help_app
    from civicid.idp.cli import app as idp_app
    from civicid.plugins import plugins_for
    from civicid.registry import cli as registry_cli
    from civicid.registry.cli import app as registry_app
    from civicid.server import serve, serve_kit, worker
    from civicid.signing.cli import make_app as make_signing_app
    from civicid.sim.cli import capture_command, demo, simulate_command
    from civicid.web.cli import staff_app

    app.add_typer(country_app, name="country", help="Vietnam's country profile: ID numbers, card QR, MRZ, places.")
    app.add_typer(db_app, name="db", help="Database migrations.")
    registry_cli.person_statuses = statuses_of
    app.add_typer(registry_app, name="registry", help="The population registry.")
    app.add_typer(enrollment_app, name="enrollment", help="Level-2 applications: figures and simulated rounds.")
    app.add_typer(staff_app, name="staff", help="Staff accounts and roles.")
    app.add_typer(campaign_app, name="campaign", help="The campaign: targets, teams, figures and the daily report.")
    app.add_typer(agencies_app, name="agencies", help="The simulated document agencies: up or down.")
    app.add_typer(help_app, name="help", help="Help pages: plain-language guides, printable, spoken by espeak-ng.")
    field_app.command("enrollment-file")(enrollment_file_command)
    field_app.command("serve")(serve_kit)
    field_app.command("capture")(capture_command)
    enrollment_app.command("simulate")(simulate_command)
    app.add_typer(field_app, name="field", help="The field kit: set-up, capture, sync, relay bundles.")
    app.add_typer(intake_app, name="intake", help="Intake at the commune office: relay bundles from kits.")
    app.add_typer(credentials_app, name="credentials", help="Credentials: the trust bundle, the issuer's keys.")
    app.add_typer(idp_app, name="idp", help="OpenID Connect: the public services that may sign citizens in.")
    app.add_typer(wallet_app, name="wallet", help="The wallet: paper cards for people without a smartphone.")
    app.add_typer(
        make_signing_app(lambda settings: plugins_for(settings).signing()),
        name="sign",
        help="Digital signatures: the signing CA, a citizen's signature, PDFs signed and verified (PAdES).",
    )
    app.command("verify", help="Verify a QR or SD-JWT VC offline against a trust bundle.")(verify_command)
    app.command("serve", help="Run the central server (API, pages).")(serve)
    app.command("demo", help="Build the demo commune and serve it.")(demo)
    app.command("worker", help="Run the enrollment pipeline and the SMS outbox.")(worker)


_mount()


def main() -> None:
    app()
