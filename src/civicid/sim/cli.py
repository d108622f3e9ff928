"""``civicid demo``: build the demo commune if needed, print the logins, and serve."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from civicid.core.console import DataOption, JsonOption, console, emit, error_console
from civicid.core.runtime import open_context
from civicid.core.settings import load_settings
from civicid.sim.demo import DEFAULT_SEED, DEMO_LOGINS, DemoReport, build_demo
from civicid.sim.population import DEFAULT_PEOPLE


def demo(
    seed: int = typer.Option(DEFAULT_SEED, "--seed", help="Seed of the synthetic population: same seed, same people."),
    people: int = typer.Option(DEFAULT_PEOPLE, "--people", min=2, help="Residents of the demo commune."),
    serve: bool = typer.Option(True, "--serve/--no-serve", help="Serve the demo after building it."),
    host: str = typer.Option("127.0.0.1", "--host", help="Address to listen on."),
    port: int = typer.Option(8000, "--port", help="TCP port to listen on."),
    data: Path | None = DataOption,
    as_json: bool = JsonOption,
) -> None:
    """Build the demo commune (unless the data folder already holds one), print the logins, serve."""
    context = open_context(load_settings(data))
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
        url = f"http://{host}:{port}/"
        emit(_summary(report, url), as_json=as_json, render=_render)
        if serve:
            # Imported only when serving: building the demo does not need the web stack loaded.
            import uvicorn

            from civicid.web.app import create_app

            uvicorn.run(create_app(context), host=host, port=port, server_header=False)
    finally:
        context.database.close()


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
    console.print(f"\nOpen {summary['url']} and log in as:", highlight=False)
    for login in summary["logins"]:
        console.print(f"  {login['username']:<11} {login['password']:<21} ({login['role']})", highlight=False)
