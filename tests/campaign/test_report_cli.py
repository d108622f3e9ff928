"""``civicid campaign report``: the file in Vietnamese (English with --lang en), and where it went."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from tests.factories import SmallCommune
from typer.testing import Result

from civicid.core.runtime import Context
from civicid.sim.campaign import simulate_campaign

Civicid = Callable[..., Result]


@pytest.fixture
def campaign_commune(context: Context, commune: SmallCommune) -> str:
    simulate_campaign(context=context, commune_code=commune.code, days=2, per_team_day=2)
    return commune.code


def test_the_report_file_is_written_and_the_cli_says_where(
    civicid: Civicid, campaign_commune: str, tmp_path: Path
) -> None:
    out = tmp_path / "bao-cao.csv"
    result = civicid("campaign", "report", "--commune", campaign_commune, "--format", "csv", "--out", str(out))
    assert result.exit_code == 0, result.output
    assert result.stdout == ""  # the table is in the file, not printed again
    assert result.stderr.startswith("wrote the csv report")
    assert result.stderr.strip().endswith(str(out))
    assert out.read_text(encoding="utf-8-sig").startswith("Mã xã,Xã,Thôn")


def test_the_report_in_english_on_request(civicid: Civicid, campaign_commune: str, tmp_path: Path) -> None:
    out = tmp_path / "report.csv"
    result = civicid(
        "campaign", "report", "--commune", campaign_commune, "--format", "csv", "--out", str(out), "--lang", "en"
    )
    assert result.exit_code == 0, result.output
    assert out.read_text(encoding="utf-8-sig").startswith("Commune code,Commune,Village")


def test_an_unknown_language_is_refused(civicid: Civicid, campaign_commune: str, tmp_path: Path) -> None:
    result = civicid("campaign", "report", "--format", "pdf", "--out", str(tmp_path / "r.pdf"), "--lang", "fr")
    assert result.exit_code == 2
    assert "--lang must be vi or en" in result.stderr
