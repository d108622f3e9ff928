"""``civicid campaign``: create a campaign, send teams, and the daily report (JSON, CSV, XLSX, PDF)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import typer
from rich.table import Table

from civicid.campaign import service
from civicid.campaign.figures import province_figures
from civicid.campaign.plan import Plan, tomorrow_plan
from civicid.campaign.reports import ReportHeading, report_file
from civicid.core.audit import Actor
from civicid.core.console import DataOption, JsonOption, command_context, console, emit, fail, tell
from civicid.core.database import unit_of_work
from civicid.registry import queries as registry
from civicid.web.i18n import translate

app = typer.Typer(no_args_is_help=True)
CLI_ACTOR = Actor("cli", "campaign")
FORMATS = ("csv", "xlsx", "pdf")
OutOption = typer.Option(None, "--out", help="File to write with --format.")


def _date(value: str, name: str) -> dt.date:
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        fail(f"{name} must be a date like 2026-12-31, not {value!r}")


@app.command("create")
def create_command(
    commune: str = typer.Option(..., "--commune", help="The commune (5-digit code)."),
    name: str = typer.Option(..., "--name", help="The campaign's name."),
    start: str = typer.Option(..., "--start", help="First day (YYYY-MM-DD)."),
    deadline: str = typer.Option(..., "--deadline", help="Last day (YYYY-MM-DD)."),
    working_days: str = typer.Option("012345", "--working-days", help="Weekday digits, 0 = Monday."),
    data: Path | None = DataOption,
    as_json: bool = JsonOption,
) -> None:
    """Create a campaign; its first targets come from the registry and the age rules."""
    context = command_context(data)
    with unit_of_work(context.database.sessions) as session:
        campaign = service.create_campaign(
            session=session,
            clock=context.clock,
            actor=CLI_ACTOR,
            commune_code=commune,
            name=name,
            start=_date(start, "--start"),
            deadline=_date(deadline, "--deadline"),
            working_days=working_days,
        )
        result = {"id": campaign.id, "commune_code": campaign.commune_code, "name": campaign.name}
    emit(result, as_json=as_json, render=lambda r: console.print(f"Campaign {r['id']} created", highlight=False))


@app.command("assign")
def assign_command(
    device: str = typer.Option(..., "--device", help="The field kit's device id (from `civicid field init`)."),
    villages: str = typer.Option(..., "--villages", help="Village ids, comma-separated (`civicid registry villages`)."),
    days: int = typer.Option(7, "--days", min=1, max=366, help="For how many days, from today."),
    team: str | None = typer.Option(None, "--team", help="The team's name (made if new)."),
    data: Path | None = DataOption,
) -> None:
    """Send a kit's team to villages for some days; the kit receives them at its next sync."""
    from civicid.campaign.assignments import assign_villages_to_kit
    from civicid.devices.service import active_device

    try:
        village_ids = [int(v) for v in villages.split(",") if v.strip()]
    except ValueError:
        fail(f"--villages takes village ids separated by commas, not {villages!r}")
    context = command_context(data)
    today = context.clock.today()
    with unit_of_work(context.database.sessions) as session:
        active_device(session=session, device_id=device)  # an unknown or revoked kit is refused
        assign_villages_to_kit(
            session=session,
            clock=context.clock,
            actor=CLI_ACTOR,
            device_id=device,
            village_ids=village_ids,
            start=today,
            end=today + dt.timedelta(days=days - 1),
            team_name=team,
        )
    console.print(
        f"kit {device}: villages {', '.join(map(str, village_ids))} until {today + dt.timedelta(days=days - 1)}"
    )


@app.command("report")
def report_command(
    commune: str | None = typer.Option(None, "--commune", help="One commune (5-digit code)."),
    province: str | None = typer.Option(None, "--province", help="Every commune of a province (2-digit code)."),
    output_format: str | None = typer.Option(None, "--format", help="Write the report as csv, xlsx or pdf."),
    out: Path | None = OutOption,
    lang: str = typer.Option("vi", "--lang", help="Language of the file: vi (default) or en."),
    data: Path | None = DataOption,
    as_json: bool = JsonOption,
) -> None:
    """The daily report: per-village figures of each campaign, today.

    With ``--format`` and ``--out``, the file is written (in Vietnamese, or English with ``--lang
    en``) and one line on stderr says where; the table is not printed again.
    """
    if lang not in ("vi", "en"):
        fail("--lang must be vi or en")
    if output_format is not None and output_format not in FORMATS:
        fail(f"--format must be one of {', '.join(FORMATS)}")
    if output_format is not None and out is None:
        fail("--format needs --out FILE")
    context = command_context(data)
    with unit_of_work(context.database.sessions) as session:
        codes = _communes(session, commune, province)
        campaigns = [
            c
            for code in codes
            if (c := service.current_campaign(session=session, commune_code=code, day=context.clock.today()))
        ]
        if not campaigns:
            fail("no campaign in that scope: create one with `civicid campaign create`")
        figures = province_figures(session=session, clock=context.clock, campaigns=campaigns)
        names = {code: place.name for code in codes if (place := registry.commune(session, code))}
    if output_format is not None and out is not None:
        heading = ReportHeading(language=lang, commune_names=names)
        body = report_file(figures, heading, output_format, context.clock.today())
        out.write_bytes(body)
        tell(f"wrote the {output_format} report ({len(figures)} campaign(s), {len(body):,} bytes) to {out}")
        if not as_json:
            return
    report = {"as_of": context.clock.today().isoformat(), "campaigns": [f.as_dict() for f in figures]}
    emit(report, as_json=as_json, render=_render)


@app.command("plan")
def plan_command(
    commune: str = typer.Option(..., "--commune", help="The commune (5-digit code)."),
    data: Path | None = DataOption,
    as_json: bool = JsonOption,
) -> None:
    """Tomorrow's suggested plan: which team goes where, and why (remaining work, pace, distance, signal)."""
    from civicid.campaign.figures import campaign_figures

    context = command_context(data)
    with unit_of_work(context.database.sessions) as session:
        campaign = service.current_campaign(session=session, commune_code=commune, day=context.clock.today())
        if campaign is None:
            fail(f"commune {commune} has no campaign")
        figures = campaign_figures(session=session, clock=context.clock, campaign=campaign)
        plan = tomorrow_plan(session=session, campaign=campaign, figures=figures)
    emit(_plan_with_text(plan), as_json=as_json, render=_render_plan)


def _plan_with_text(plan: Plan) -> dict[str, Any]:
    """The plan as data, each reason with its English sentence (the pages translate the same keys)."""
    result = plan.as_dict()
    for line, data in zip(plan.lines, result["lines"], strict=True):
        data["why_text"] = "; ".join(translate("en", f"campaign.plan.why.{w.code}", **w.params) for w in line.why)
    result["notes_text"] = [translate("en", f"campaign.plan.note.{n.code}", **n.params) for n in plan.notes]
    return result


def _communes(session: Any, commune: str | None, province: str | None) -> list[str]:
    if commune is not None and province is not None:
        fail("give --commune or --province, not both")
    codes = registry.commune_codes(session, commune=commune, province=province)
    if not codes:
        fail("the registry serves no such commune or province")
    return codes


def _render(report: dict[str, Any]) -> None:
    for campaign in report["campaigns"]:
        table = Table(title=f"{campaign['campaign']['name']} — {report['as_of']}")
        for heading in ("Village", "Target", "Reached", "Issued", "Activated", "Coverage", "Pace", "Needed", "Finish"):
            table.add_column(heading)
        for v in [*campaign["villages"], campaign["commune"] | {"village": "TOTAL"}]:
            coverage = (
                "—" if v["coverage"] is None else f"{100 * v['coverage']:.1f} %" + (" !" if v["target_error"] else "")
            )
            table.add_row(
                v["village"],
                str(v["target"]["adults"]),
                str(v["reached"]),
                str(v["issued"]),
                str(v["activated"]),
                coverage,
                f"{v['pace_per_day']:.1f}",
                "—" if v["required_pace_per_day"] is None else f"{v['required_pace_per_day']:.1f}",
                v["projected_finish"] or "—",
            )
        console.print(table)


def _render_plan(plan: dict[str, Any]) -> None:
    console.print(f"Plan for {plan['day'] or '—'} ({plan['working_days_left']} working days left)", highlight=False)
    for note in plan["notes_text"]:
        console.print(f"! {note}", highlight=False)
    for line in plan["lines"]:
        households = f" households {', '.join(map(str, line['households']))}" if line["households"] else ""
        head = f"{line['team']}: {line['village']} (~{line['expected']}, {line['reason']}){households}"
        console.print(f"{head}: {line['why_text']}", highlight=False)
