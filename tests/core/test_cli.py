"""The command line's contract: bad input, a bad setting or an unusable database is one line and exit status 2."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest
from sqlalchemy.exc import OperationalError
from typer.testing import CliRunner

from civicid.cli import app
from civicid.core import migrate
from civicid.registry import service as registry_service

runner = CliRunner()


def test_an_unusable_data_folder_is_one_line_and_status_2(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    # db upgrade makes a missing folder; here it cannot.
    result = runner.invoke(app, ["db", "upgrade", "--data", str(blocker / "data")], env={"CIVICID_DATABASE_URL": ""})
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


@pytest.mark.parametrize(
    ("url", "says"),
    [
        ("not a url", "is not a database URL"),
        ("postgresql://nobody:secret@127.0.0.1:notaport/civicid", "is not a database URL"),
        ("mysql://nobody:secret@127.0.0.1/civicid", "names the 'mysql' database, which CivicID does not run on"),
        ("postgresql+psycopg2://nobody:secret@127.0.0.1/civicid", "names the 'psycopg2' driver"),
        # Port 1 answers nothing: were the URL accepted, the command would fail to connect instead.
        ("postgresql://nobody:secret@127.0.0.1:1", "names no database"),
        ("postgresql://nobody:secret@127.0.0.1:1/", "names no database"),
        ("sqlite://", "names no database file"),
    ],
)
def test_an_unusable_database_url_is_refused_in_one_line_before_connecting(url: str, says: str) -> None:
    result = runner.invoke(app, ["registry", "stats"], env={"CIVICID_DATABASE_URL": url})
    assert result.exit_code == 2
    assert result.stderr.startswith(f"error: CIVICID_DATABASE_URL {says}")
    assert result.stderr.rstrip().endswith("(invalid_settings)")
    assert result.stderr.count("\n") == 1
    assert "secret" not in result.stderr
    assert "Traceback" not in result.output


def test_a_database_that_stops_answering_mid_command_is_one_line_and_status_2(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The database answered when the command opened it, then went away: no traceback either."""
    data = tmp_path / "data"
    assert runner.invoke(app, ["db", "upgrade", "--data", str(data)], env={"CIVICID_DATABASE_URL": ""}).exit_code == 0

    def gone(*_: object, **__: object) -> object:
        disk_error = sqlite3.OperationalError("disk I/O error")
        disk_error.sqlite_errorcode = 10  # SQLITE_IOERR, as sqlite3 sets it
        raise OperationalError("SELECT …", {}, disk_error)

    monkeypatch.setattr(registry_service, "registry_stats", gone)
    result = runner.invoke(app, ["registry", "stats", "--data", str(data)], env={"CIVICID_DATABASE_URL": ""})
    assert result.exit_code == 2
    assert (
        result.stderr
        == "error: the database stopped answering (OperationalError); run the command again once it does\n"
    )


def test_a_missing_data_folder_is_refused_naming_the_path(tmp_path: Path) -> None:
    typo = tmp_path / "civicid-dta"
    result = runner.invoke(app, ["registry", "stats", "--data", str(typo)], env={"CIVICID_DATABASE_URL": ""})
    assert result.exit_code == 2
    assert result.stderr.startswith(f"error: no data folder at {typo}: check --data")
    assert result.stdout == ""
    assert not typo.exists()


def test_db_upgrade_makes_a_missing_data_folder(tmp_path: Path) -> None:
    new = tmp_path / "civicid-data"
    result = runner.invoke(app, ["db", "upgrade", "--data", str(new)], env={"CIVICID_DATABASE_URL": ""})
    assert result.exit_code == 0, result.output
    assert new.is_dir()


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
