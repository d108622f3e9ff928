"""``civicid staff`` on a fresh data folder (made by ``civicid db upgrade``)."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from civicid.cli import app

runner = CliRunner()


def test_create_then_list(tmp_path: Path) -> None:
    data = str(tmp_path / "data")
    assert runner.invoke(app, ["db", "upgrade", "--data", data]).exit_code == 0  # makes the folder
    created = runner.invoke(
        app,
        ["staff", "create", "Mai.Lo", "--role", "supervisor", "--commune", "01879", "--password-stdin", "--data", data],
        input="mật khẩu đủ dài 2026\n",
    )
    assert created.exit_code == 0, created.output
    listed = runner.invoke(app, ["staff", "list", "--json", "--data", data])
    rows = json.loads(listed.stdout)
    assert [(r["username"], r["role"], r["commune_code"]) for r in rows] == [("mai.lo", "supervisor", "01879")]
    assert "mật khẩu" not in listed.stdout


def test_short_password_is_exit_status_2(tmp_path: Path) -> None:
    result = runner.invoke(
        app,
        ["staff", "create", "mai.lo", "--role", "operator", "--password-stdin", "--data", str(tmp_path)],
        input="short\n",
    )
    assert result.exit_code == 2
    assert "at least 10 characters" in result.stderr


def test_serve_is_documented() -> None:
    result = runner.invoke(app, ["serve", "--help"])
    assert result.exit_code == 0
    assert "--port" in result.stdout
