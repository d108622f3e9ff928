"""The demo: built once into an empty registry, reused afterwards, with a login per role."""

from __future__ import annotations

import datetime as dt
import json
import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from civicid.cli import app as root
from civicid.core.clock import SystemClock
from civicid.core.console import Invocation, invoked_as
from civicid.core.runtime import Context
from civicid.country.zone import TIME_ZONE
from civicid.sim.cli import demo
from civicid.sim.demo import DEMO_LOGINS, build_demo
from civicid.sim.phones import DEMO_PASSCODE, DEMO_PASSWORD
from civicid.web.staff import StaffRole


class TestBuildDemo:
    def test_builds_an_empty_registry_then_reuses_it(self, context: Context) -> None:
        first = build_demo(context=context, people=600)
        second = build_demo(context=context, people=5_000, seed=1)
        assert not first.reused
        assert first.persons == 600
        assert sorted(first.staff_created) == sorted(login.username for login in DEMO_LOGINS)
        assert second.reused
        assert (second.persons, second.commune_code, second.staff_created) == (600, first.commune_code, [])

    def test_every_role_has_a_login(self) -> None:
        assert {login.role for login in DEMO_LOGINS} == set(StaffRole)


@pytest.fixture
def cli() -> Iterator[typer.Typer]:
    """The demo command alone, with the invocation the ``civicid`` root command hands it (the system clock)."""
    app = typer.Typer()
    app.command()(demo)
    with invoked_as(Invocation(clock=SystemClock(zone=TIME_ZONE))):
        yield app


class TestDemoCommand:
    def test_no_serve_builds_prints_logins_and_exits(self, cli: typer.Typer, tmp_path: Path) -> None:
        result = CliRunner().invoke(cli, ["--people", "500", "--no-serve", "--json", "--data", str(tmp_path)])
        assert result.exit_code == 0, result.output
        summary = json.loads(result.stdout)
        assert summary["url"] == "http://127.0.0.1:8000/"
        assert (summary["reused"], summary["persons"]) == (False, 500)
        assert {"username": "admin", "password": "demo-admin-2025", "role": "admin"} in summary["logins"]
        citizen = summary["citizen"]  # the first holder the simulated campaign activated
        assert (citizen["password"], citizen["passcode"]) == (DEMO_PASSWORD, DEMO_PASSCODE)
        assert len(citizen["id_number"]) == 12
        # Everyone gets an account: a parent with a child's account and card, an elder assisted.
        assert summary["everyone"]["child_card"] == "issued"

    def test_second_run_reuses_the_data_folder(self, cli: typer.Typer, tmp_path: Path) -> None:
        CliRunner().invoke(cli, ["--people", "500", "--no-serve", "--data", str(tmp_path)])
        result = CliRunner().invoke(cli, ["--people", "500", "--no-serve", "--data", str(tmp_path), "--port", "9000"])
        assert result.exit_code == 0, result.output
        assert "Reusing the demo" in result.stdout
        assert "Open http" not in result.stdout  # --no-serve serves nothing to open
        assert f"civicid serve --data {tmp_path} --port 9000" in " ".join(result.stdout.split())  # as wrapped
        assert "demo-operator-2025" in result.stdout

    def test_the_summary_is_what_enrollment_stats_says_after_the_simulated_days(
        self, cli: typer.Typer, tmp_path: Path
    ) -> None:
        built = CliRunner().invoke(cli, ["--people", "500", "--no-serve", "--json", "--data", str(tmp_path)])
        summary = json.loads(built.stdout)
        stats = CliRunner().invoke(
            root,
            ["enrollment", "stats", "--json", "--commune", summary["commune"]["code"], "--data", str(tmp_path)],
            env={"CIVICID_DATABASE_URL": ""},
        )
        assert stats.exit_code == 0, stats.output
        assert summary["enrollment"] == json.loads(stats.stdout)
        assert summary["enrollment"]["issued"] > 0
        # The second day's applications still wait for the supervisor, as the README promises.
        assert summary["enrollment"]["by_status"]["awaiting_approval"] > 0
        with sqlite3.connect(tmp_path / "civicid.sqlite3") as db:
            rows = db.execute("SELECT captured_at, decided_at FROM application WHERE decided_at IS NOT NULL").fetchall()
        assert rows
        early = [r for r in rows if dt.datetime.fromisoformat(r[1]) < dt.datetime.fromisoformat(r[0])]
        assert early == [], "no application is decided before it is captured"
