"""``civicid demo``: build the demo commune if needed, print the logins, and serve."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from civicid.core.console import DataOption, JsonOption, command_context, console, emit, error_console
from civicid.core.runtime import Context
from civicid.sim.demo import DEFAULT_SEED, DEMO_LOGINS, DemoReport, build_demo
from civicid.sim.population import DEFAULT_PEOPLE


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
    context = command_context(data)
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
        enrollment = (
            None if report.reused or captures == 0 else _enroll(context, report.commune_code, captures, duplicates)
        )
        if not report.reused and campaign_days:
            from civicid.sim.campaign import simulate_campaign

            simulate_campaign(context=context, commune_code=report.commune_code, days=campaign_days, per_team_day=3)
        url = f"http://{host}:{port}/"
        emit({**_summary(report, url), "enrollment": enrollment}, as_json=as_json, render=_render)
        if serve:
            # Imported only when serving: building the demo does not need the web stack loaded.
            from civicid.web.server import run_server

            run_server(context, host=host, port=port)
    finally:
        context.database.close()


def _enroll(context: Context, commune_code: str, captures: int, duplicates: int) -> dict[str, Any]:
    """Two days of enrollment: the first approved and issued, the second waiting for the supervisor."""
    from civicid.enrollment.runtime import build_pipeline
    from civicid.sim.enrollment import simulate_round

    pipeline = build_pipeline(context)
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
        second = simulate_round(
            context=context,
            pipeline=pipeline,
            commune_code=commune_code,
            captures=max(1, captures - first),
            suspected=1,
            approve=False,
            seed=2,
            progress=lambda n: bar.update(task, completed=done + n),
        )
    return second.stats


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
    console.print(f"\nOpen {summary['url']} and log in as:", highlight=False)
    for login in summary["logins"]:
        console.print(f"  {login['username']:<11} {login['password']:<21} ({login['role']})", highlight=False)
