"""``civicid enrollment``: the applications' figures (``simulate`` is the simulator's, ``worker`` the server's)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import typer
from rich.table import Table

from civicid.core.console import DataOption, JsonOption, command_context, console, emit
from civicid.core.database import unit_of_work
from civicid.enrollment.stats import enrollment_stats

app = typer.Typer(no_args_is_help=True)

CommuneOption = typer.Option(None, "--commune", help="Only this commune (5-digit code).")


@app.command("stats")
def stats_command(
    commune: str | None = CommuneOption, data: Path | None = DataOption, as_json: bool = JsonOption
) -> None:
    """Applications by status, with suspected_duplicates, rejected_duplicates and issued."""
    context = command_context(data)
    with unit_of_work(context.database.sessions) as session:
        stats = enrollment_stats(session=session, commune_code=commune)
    emit(stats, as_json=as_json, render=render_stats)


def render_stats(stats: dict[str, Any]) -> None:
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
