"""The simulator's commands: ``civicid demo``, ``civicid enrollment simulate``, ``civicid field capture --from-sim``.

The root command mounts the last two in the ``enrollment`` and ``field`` groups, so that no
capability's CLI imports the simulator.
"""

from __future__ import annotations

from dataclasses import asdict
from pathlib import Path
from typing import Any

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from civicid.biometrics.simulated import simulated_extractors
from civicid.core.console import (
    DataOption,
    JsonOption,
    command_clock,
    command_context,
    console,
    emit,
    error_console,
    fail,
)
from civicid.core.database import unit_of_work
from civicid.core.runtime import Context
from civicid.enrollment.cli import render_stats
from civicid.enrollment.runtime import build_pipeline
from civicid.enrollment.stats import enrollment_stats
from civicid.field.cli import KitOption, KitUserOption, open_kit
from civicid.registry import service as registry
from civicid.sim.citizens import lock_some, waiting_account
from civicid.sim.demo import DEFAULT_SEED, DEMO_LOGINS, DemoReport, build_demo
from civicid.sim.enrollment import simulate_round
from civicid.sim.field import capture_from_sim
from civicid.sim.phones import DemoCitizen
from civicid.sim.population import DEFAULT_PEOPLE

#: Captures a team makes on a working day in the demo's campaign: with four teams, about 1,200 level-2
#: applications in its eight days, as the commune in the campaign's story achieved (issue 17).
STORY_CAPTURES_PER_TEAM_DAY = 58


def demo(
    seed: int = typer.Option(DEFAULT_SEED, "--seed", help="Seed of the synthetic population: same seed, same people."),
    people: int = typer.Option(DEFAULT_PEOPLE, "--people", min=2, help="Residents of the demo commune."),
    captures: int = typer.Option(
        120, "--captures", min=0, max=100_000, help="Level-2 applications the demo's kits capture and sync."
    ),
    duplicates: int = typer.Option(
        3, "--inject-duplicates", min=0, max=1_000, help="Impostors enrolling again under another ID number."
    ),
    campaign_days: int = typer.Option(
        8, "--campaign-days", min=0, max=60, help="Days of simulated campaign (teams, visits, captures) before today."
    ),
    serve: bool = typer.Option(True, "--serve/--no-serve", help="Serve the demo after building it."),
    host: str = typer.Option("127.0.0.1", "--host", help="Address to listen on."),
    port: int = typer.Option(8000, "--port", help="TCP port to listen on."),
    data: Path | None = DataOption,
    as_json: bool = JsonOption,
) -> None:
    """Build the demo commune (unless the data folder already holds one), print the logins, serve."""
    context = command_context(data, creates=True)
    try:
        # The bar goes to stderr, so that --json leaves exactly one document on stdout.
        with Progress(
            TextColumn("loading the demo commune"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            console=error_console,
            transient=True,
        ) as bar:
            task = bar.add_task("load", total=people)
            report = build_demo(
                context=context,
                seed=seed,
                people=people,
                progress=lambda done: bar.update(task, completed=done),
            )
        if not (report.reused or captures == 0):
            _enroll(context, report.commune_code, captures, duplicates)
        citizens: dict[str, Any] = {}
        if not report.reused and campaign_days:
            from civicid.sim.campaign import simulate_campaign

            run = simulate_campaign(
                context=context,
                commune_code=report.commune_code,
                days=campaign_days,
                per_team_day=STORY_CAPTURES_PER_TEAM_DAY,
            )
            citizens = _citizens(context, report.commune_code, run.citizen)
        if not report.reused:
            from civicid.sim.everyone import everyone_story

            story = everyone_story(context, report.commune_code)
            citizens["everyone"] = story.as_dict() if story else None
            from civicid.help import audio

            if audio.espeak() is not None:  # the help pages' speech, where espeak-ng is installed
                audio.generate(context.settings.data_dir)
        url = f"http://{host}:{port}/"
        portal_url = f"http://{_loopback(host)}:{port + 1}"
        # Counted now, after the simulated days, by the very function `civicid enrollment stats` calls.
        with unit_of_work(context.database.sessions) as session:
            enrollment = enrollment_stats(session=session, commune_code=report.commune_code)
        emit(
            {
                **_summary(report, url),
                "serving": serve,
                "data": str(context.settings.data_dir),
                "enrollment": enrollment,
                **citizens,
                "portal": f"{portal_url}/",
            },
            as_json=as_json,
            render=_render,
        )
        if serve:
            # Imported only when serving: building the demo does not need the web stack loaded.
            from civicid.server import run_server

            portal = _start_portal(context, f"http://{_loopback(host)}:{port}", portal_url)
            try:
                run_server(context, host=host, port=port, demo=True)
            finally:
                portal.stop()
    finally:
        context.database.close()


def _loopback(host: str) -> str:
    return "127.0.0.1" if host in {"0.0.0.0", "::"} else host  # noqa: S104 - compared, not bound


def _start_portal(context: Context, issuer: str, portal_url: str) -> Any:
    """The demo portal (a simulated public service) on the next port, registered as a client of the provider."""
    from civicid.sim.portal import PortalConfig, create_portal_app, register_portal
    from civicid.web.serving import ServerThread

    with unit_of_work(context.database.sessions) as session:
        registered = register_portal(session=session, clock=context.clock, portal_url=portal_url)
    config = PortalConfig(issuer, portal_url, registered.client.client_id, registered.client_secret)
    host, _, port = portal_url.removeprefix("http://").rpartition(":")
    thread = ServerThread(create_portal_app(config), host=host, port=int(port))
    thread.start()
    return thread


def _enroll(context: Context, commune_code: str, captures: int, duplicates: int) -> None:
    """Two days of enrollment: the first approved and issued, the second waiting for the supervisor."""
    pipeline = build_pipeline(context, simulated_extractors())
    first = max(1, captures * 5 // 6)
    with Progress(
        TextColumn("enrolling"), BarColumn(), MofNCompleteColumn(), console=error_console, transient=True
    ) as bar:
        task = bar.add_task("enrol", total=captures + duplicates + 1)
        simulate_round(
            context=context,
            pipeline=pipeline,
            commune_code=commune_code,
            captures=first,
            duplicates=duplicates,
            seed=1,
            progress=lambda n: bar.update(task, completed=n),
        )
        done = first + duplicates
        simulate_round(
            context=context,
            pipeline=pipeline,
            commune_code=commune_code,
            captures=max(1, captures - first),
            suspected=1,
            approve=False,
            seed=2,
            progress=lambda n: bar.update(task, completed=done + n),
        )


def _citizens(context: Context, commune_code: str, citizen: DemoCitizen | None) -> dict[str, Any]:
    """Accounts at every stage: two holders lock theirs; the printed citizen and the account to activate."""
    lock_some(context, commune_code, skip=citizen.id_number if citizen else None)
    waiting = waiting_account(context, commune_code)
    return {
        "citizen": None if citizen is None else asdict(citizen),
        "to_activate": None if waiting is None else asdict(waiting),
    }


def _summary(report: DemoReport, url: str) -> dict[str, Any]:
    return {
        "url": url,
        "commune": {"code": report.commune_code, "name": report.commune_name},
        "reused": report.reused,
        "villages": report.villages,
        "households": report.households,
        "persons": report.persons,
        "logins": [
            {"username": login.username, "password": login.password, "role": login.role.value} for login in DEMO_LOGINS
        ],
    }


def _render(summary: dict[str, Any]) -> None:
    commune = summary["commune"]
    verb = "Reusing the demo in this data folder" if summary["reused"] else "Built the demo"
    console.print(f"{verb}: {commune['name']} ({commune['code']})", highlight=False)
    console.print(
        f"{summary['villages']} villages, {summary['households']} households, {summary['persons']} persons",
        highlight=False,
    )
    enrollment = summary.get("enrollment")
    if enrollment:
        console.print(
            f"Enrollment: {enrollment['issued']} issued, {enrollment['rejected_duplicates']} duplicates rejected, "
            f"{enrollment['by_status']['awaiting_approval']} awaiting approval, "
            f"{enrollment['suspected_duplicates']} suspected duplicate(s) to adjudicate",
            highlight=False,
        )
    if summary.get("serving", True):
        console.print(f"\nOpen {summary['url']} and log in as:", highlight=False)
    else:
        port = summary["url"].rstrip("/").rpartition(":")[2]
        console.print(
            f"\nNot serving (--no-serve). Serve it with `civicid serve --data {summary['data']} --port {port}`,"
            " then log in as:",
            highlight=False,
        )
    for login in summary["logins"]:
        console.print(f"  {login['username']:<11} {login['password']:<21} ({login['role']})", highlight=False)
    app = f"{summary['url']}app/"
    if summary.get("everyone"):
        e = summary["everyone"]
        console.print(
            f"\nEveryone gets an account: a parent (ID number {e['parent']['id_number']}, password "
            f"{e['parent']['password']}) holds the account of {e['child']}, whose card is {e['child_card']}; "
            f"{e['elder_activated_with_relatives_phone']} was activated at the office with a grandchild's phone.",
            highlight=False,
        )
    if summary.get("citizen"):
        c = summary["citizen"]
        console.print(
            f"\nA citizen, in the app at {app}: ID number {c['id_number']}, password {c['password']}, "
            f"passcode {c['passcode']} (this browser is a new phone: bind it with the SMS code that the "
            "demo's SMS page, /notify/sms as admin, shows)",
            highlight=False,
        )
    if summary.get("portal"):
        console.print(
            f"\nThe demo portal (a simulated public service) at {summary['portal']}: sign in there with the "
            "citizen's ID number and password through OpenID Connect; the SMS code for level 2 is on /notify/sms",
            highlight=False,
        )
    if summary.get("to_activate"):
        w = summary["to_activate"]
        console.print(
            f"An account waiting for activation: ID number {w['id_number']}, phone {w['phone']} "
            "(activate it in the app; the code is on /notify/sms, simulated gateway)",
            highlight=False,
        )


CommuneOption = typer.Option(None, "--commune", help="Only this commune (5-digit code).")
CapturesOption = typer.Option(20, "--captures", min=1, max=100_000, help="Adults captured by the simulated kit.")
DuplicatesOption = typer.Option(
    0, "--inject-duplicates", min=0, max=10_000, help="Impostors enrolling again under a neighbour's ID number."
)


def simulate_command(
    captures: int = CapturesOption,
    duplicates: int = DuplicatesOption,
    commune: str | None = CommuneOption,
    data: Path | None = DataOption,
    as_json: bool = JsonOption,
) -> None:
    """Run a simulated round through the real intake and pipeline: captures, impostors, approvals."""
    context = command_context(data)
    with unit_of_work(context.database.sessions) as session:
        communes = [c.code for c in registry.list_communes(session=session)]
    code = commune or (communes[0] if communes else None)
    if code is None or code not in communes:
        fail("the registry serves no such commune: build one with `civicid demo --no-serve` or import a CSV")
    pipeline = build_pipeline(context, simulated_extractors())
    result = simulate_round(
        context=context, pipeline=pipeline, commune_code=code, captures=captures, duplicates=duplicates
    )
    emit(
        {"captured": result.captured, "impostors": result.impostors, **result.stats},
        as_json=as_json,
        render=render_stats,
    )


def capture_command(
    from_sim: int = typer.Option(..., "--from-sim", min=1, max=10_000, help="Simulated captures to make."),
    photos: bool = typer.Option(False, "--photos", help="Camera-sized JPEG portraits instead of small drawings."),
    review: bool = typer.Option(True, "--review/--no-review", help="Approve them as a simulated supervisor."),
    data: Path = KitOption,
    user: str | None = KitUserOption,
    as_json: bool = JsonOption,
) -> None:
    """Capture N simulated adults of the kit's villages who have no application yet (tests and demos)."""
    kit = open_kit(data, user)
    day = capture_from_sim(
        kit=kit, clock=command_clock(), count=from_sim, photos=photos, supervisor="sim-supervisor" if review else None
    )
    emit(
        {"captured": len(day.captured), "approved": day.approved, "application_ids": day.captured},
        as_json=as_json,
        render=lambda d: console.print(f"{d['captured']} captured, {d['approved']} approved on the kit"),
    )
