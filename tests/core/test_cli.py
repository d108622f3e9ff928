"""The command line's contract: bad input or an unusable database is one line and exit status 2."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from civicid.cli import app
from civicid.core import migrate

runner = CliRunner()


def test_an_unusable_data_folder_is_one_line_and_status_2(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    result = runner.invoke(
        app, ["registry", "stats", "--data", str(blocker / "data")], env={"CIVICID_DATABASE_URL": ""}
    )
    assert result.exit_code == 2
    assert result.stderr.startswith("error: cannot use the data folder")
    assert result.stderr.count("\n") == 1


def test_an_unreachable_database_is_one_line_and_status_2() -> None:
    env = {"CIVICID_DATABASE_URL": "postgresql://nobody:secret@127.0.0.1:1/none"}
    result = runner.invoke(app, ["registry", "stats"], env=env)
    assert result.exit_code == 2
    assert "database_unavailable" in result.stderr
    assert "secret" not in result.stderr
    assert result.stderr.count("\n") == 1


def test_a_bad_option_value_exits_2_without_a_traceback() -> None:
    result = runner.invoke(app, ["registry", "search", "--village", "abc"])
    assert result.exit_code == 2
    assert "Traceback" not in result.output


def test_db_upgrade_reports_the_head_revision(tmp_path: Path) -> None:
    result = runner.invoke(app, ["db", "upgrade", "--json", "--data", str(tmp_path)], env={"CIVICID_DATABASE_URL": ""})
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout) == {"revision": migrate.head_revision()}


def test_every_command_has_help() -> None:
    for command in (["country"], ["registry"], ["db"], ["staff"], ["serve"], ["demo"], ["registry", "import"]):
        result = runner.invoke(app, [*command, "--help"])
        assert result.exit_code == 0, command
        assert "Usage" in result.stdout
