"""``civicid enrollment`` and ``civicid worker``: figures, simulated rounds, the pipeline worker."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import typer
from rich.table import Table

from civicid.core.console import DataOption, JsonOption, command_context, console, emit, fail
from civicid.core.database import unit_of_work
from civicid.enrollment.runtime import build_pipeline
from civicid.enrollment.stats import enrollment_stats
from civicid.enrollment.worker import BackgroundWorker

app = typer.Typer(no_args_is_help=True)

CommuneOption = typer.Option(None, "--commune", help="Only this commune (5-digit code).")
CapturesOption = typer.Option(20, "--captures", min=1, max=100_000, help="Adults captured by the simulated kit.")
DuplicatesOption = typer.Option(
    0, "--inject-duplicates", min=0, max=10_000, help="Impostors enrolling again under a neighbour's ID number."
)
OnceOption = typer.Option(False, "--once", help="Run what is ready, then exit (instead of polling for ever).")


@app.command("stats")
def stats_command(
    commune: str | None = CommuneOption, data: Path | None = DataOption, as_json: bool = JsonOption
) -> None:
    """Applications by status, with suspected_duplicates, rejected_duplicates and issued."""
    context = command_context(data)
    with unit_of_work(context.database.sessions) as session:
        stats = enrollment_stats(session=session, commune_code=commune)
    emit(stats, as_json=as_json, render=_render)


@app.command("simulate")
def simulate_command(
    captures: int = CapturesOption,
    duplicates: int = DuplicatesOption,
    commune: str | None = CommuneOption,
    data: Path | None = DataOption,
    as_json: bool = JsonOption,
) -> None:
    """Run a simulated round through the real intake and pipeline: captures, impostors, approvals."""
    from civicid.registry import service as registry
    from civicid.sim.enrollment import simulate_round

    context = command_context(data)
    with unit_of_work(context.database.sessions) as session:
        communes = [c.code for c in registry.list_communes(session=session)]
    code = commune or (communes[0] if communes else None)
    if code is None or code not in communes:
        fail("the registry serves no such commune: build one with `civicid demo --no-serve` or import a CSV")
    result = simulate_round(
        context=context, pipeline=build_pipeline(context), commune_code=code, captures=captures, duplicates=duplicates
    )
    emit({"captured": result.captured, "impostors": result.impostors, **result.stats}, as_json=as_json, render=_render)


def worker(once: bool = OnceOption, data: Path | None = DataOption) -> None:
    """Run the enrollment pipeline and the SMS outbox (the server runs one in-process already)."""
    context = command_context(data)
    background = BackgroundWorker(context)
    if once:
        while background.round():
            pass
        return
    console.print("worker running; Ctrl-C stops it")
    try:
        background.run()
    except KeyboardInterrupt:
        background.stop()


def _render(stats: dict[str, Any]) -> None:
    table = Table(title="Applications")
    table.add_column("status")
    table.add_column("count", justify="right")
    for status, count in stats["by_status"].items():
        table.add_row(status.replace("_", " "), f"{count:,}")
    console.print(table)
    console.print(
        f"issued {stats['issued']:,} · suspected duplicates {stats['suspected_duplicates']:,} · "
        f"rejected duplicates {stats['rejected_duplicates']:,}",
        highlight=False,
    )
