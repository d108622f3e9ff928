"""``civicid field …`` and ``civicid intake import`` as an operator and the commune office use them."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import Result
from sqlalchemy import func, select

from civicid.campaign.assignments import kit_assignment
from civicid.core.database import unit_of_work
from civicid.core.runtime import Context
from civicid.enrollment.models import Application
from civicid.field.cli import KIT_PASSWORD_ENV, KIT_USER_ENV, NEW_PASSWORD_ENV, PASSPHRASE_ENV
from civicid.registry.models import Village

Civicid = Callable[..., Result]

pytestmark = pytest.mark.parametrize("database", ["sqlite"], indirect=True)


@pytest.fixture
def kit_dir(civicid: Civicid, commune: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A kit set up from an enrollment file through the CLI, as at the commune office."""
    enrollment = tmp_path / "kit.enrollment"
    made = civicid(
        "field", "enrollment-file", "--commune", commune, "--out", str(enrollment), "--server-url", "http://x.invalid"
    )
    assert made.exit_code == 0, made.output
    passphrase = re.search(r"passphrase.*?: (\S+)", made.output)
    assert passphrase is not None
    monkeypatch.setenv(PASSPHRASE_ENV, passphrase.group(1))
    monkeypatch.setenv(KIT_USER_ENV, "sup-hoa")
    monkeypatch.setenv(KIT_PASSWORD_ENV, "kit-password-1")
    kit = tmp_path / "kit"
    done = civicid(
        "field",
        "init",
        "--enrollment-file",
        str(enrollment),
        "--data",
        str(kit),
        "--max-unsent",
        "50",
        "--supervisor",
        "sup-hoa",
        "--supervisor-name",
        "Vàng A Hoà",
    )
    assert done.exit_code == 0, done.output
    return kit


def test_status_of_a_new_kit(civicid: Civicid, kit_dir: Path) -> None:
    result = civicid("field", "status", "--data", str(kit_dir), "--json")
    assert result.exit_code == 0, result.output
    status = json.loads(result.stdout)
    assert status["outbox"]["unsent"] == 0
    assert status["guardrails"]["limits"]["max_unsent_captures"] == 50
    assert status["sync"]["last_sync_at"] is None


def test_a_folder_without_a_kit_is_one_line_and_status_2(civicid: Civicid, tmp_path: Path) -> None:
    _refused_in_one_line(civicid("field", "status", "--data", str(tmp_path / "nothing")), "civicid field init")


def test_the_kit_opens_only_with_an_operators_password(
    civicid: Civicid, kit_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(KIT_PASSWORD_ENV, "not-the-password")
    result = civicid("field", "status", "--data", str(kit_dir), "--json")
    _refused_in_one_line(result, "wrong user name or password")


def _refused_in_one_line(result: Result, says: str) -> None:
    assert result.exit_code == 2
    assert result.stderr.count("\n") == 1
    assert says in result.stderr


def test_a_supervisor_adds_an_operator_who_can_then_open_the_kit(
    civicid: Civicid, kit_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(NEW_PASSWORD_ENV, "lan-password-2")
    added = civicid("field", "operator", "op-lan", "--name", "Lò Thị Lan", "--data", str(kit_dir))
    assert added.exit_code == 0, added.output
    monkeypatch.setenv(KIT_USER_ENV, "op-lan")
    monkeypatch.setenv(KIT_PASSWORD_ENV, "lan-password-2")
    assert civicid("field", "status", "--data", str(kit_dir), "--json").exit_code == 0
    refused = civicid("field", "operator", "op-tu", "--name", "Giàng Tú", "--data", str(kit_dir))
    assert refused.exit_code == 2
    assert "only a supervisor" in refused.stderr


def test_a_wrong_passphrase_is_one_line_and_status_2(
    civicid: Civicid, commune: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    enrollment = tmp_path / "kit.enrollment"
    civicid("field", "enrollment-file", "--commune", commune, "--out", str(enrollment), "--server-url", "http://x")
    monkeypatch.setenv(PASSPHRASE_ENV, "not-the-passphrase")
    monkeypatch.setenv(KIT_PASSWORD_ENV, "kit-password-1")
    result = civicid(
        "field",
        "init",
        "--enrollment-file",
        str(enrollment),
        "--data",
        str(tmp_path / "kit"),
        "--supervisor",
        "sup-hoa",
        "--supervisor-name",
        "Vàng A Hoà",
    )
    assert result.exit_code == 2
    assert "passphrase" in result.stderr


def test_online_set_up_needs_its_three_options(
    civicid: Civicid, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(KIT_PASSWORD_ENV, "kit-password-1")
    result = civicid(
        "field",
        "init",
        "--server",
        "http://x",
        "--data",
        str(tmp_path / "kit"),
        "--supervisor",
        "sup-hoa",
        "--supervisor-name",
        "Vàng A Hoà",
    )
    assert result.exit_code == 2
    assert "--commune" in result.stderr


def test_an_empty_relay_bundle_imports_nothing(
    civicid: Civicid, kit_dir: Path, tmp_path: Path, context: Context
) -> None:
    bundle = tmp_path / "usb" / "relay.zip"
    bundle.parent.mkdir()
    exported = civicid("field", "export", "--out", str(bundle), "--data", str(kit_dir))
    assert exported.exit_code == 0, exported.output
    imported = civicid("intake", "import", str(bundle), "--json")
    assert imported.exit_code == 0, imported.output
    assert json.loads(imported.stdout)["received"] == []
    with unit_of_work(context.database.sessions) as session:
        assert session.scalar(select(func.count()).select_from(Application)) == 0


def test_importing_a_file_that_is_not_a_bundle_is_status_2(civicid: Civicid, tmp_path: Path, commune: str) -> None:
    junk = tmp_path / "junk.zip"
    junk.write_bytes(b"hello")
    result = civicid("intake", "import", str(junk))
    assert result.exit_code == 2
    assert "relay" in result.stderr


def test_a_kit_is_sent_to_villages_from_the_command_line(
    civicid: Civicid, kit_dir: Path, context: Context, commune: str
) -> None:
    status = json.loads(civicid("field", "status", "--data", str(kit_dir), "--json").stdout)
    with unit_of_work(context.database.sessions) as session:
        village = session.scalar(select(Village.id).where(Village.commune_code == commune))
    done = civicid("campaign", "assign", "--device", status["device_id"], "--villages", str(village), "--days", "3")
    assert done.exit_code == 0, done.output
    with unit_of_work(context.database.sessions) as session:
        held = kit_assignment(session=session, device_id=status["device_id"], day=context.clock.today())
    assert held.village_ids == {village}


def test_an_unknown_kit_cannot_be_sent_anywhere(civicid: Civicid, commune: str) -> None:
    result = civicid("campaign", "assign", "--device", "kit-nobody", "--villages", "1")
    assert result.exit_code == 2
    assert "not registered" in result.stderr
