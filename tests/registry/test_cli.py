"""``civicid registry``: what an officer at the commune office types, and what they get back."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
from collections.abc import Callable
from pathlib import Path

from tests.factories import MakePerson, demo_commune, issued_account
from typer.testing import Result

from civicid.core.runtime import Context

Civicid = Callable[..., Result]


def test_stats_prints_the_documented_json(context: Context, civicid: Civicid) -> None:
    demo_commune(context, people=600)
    result = civicid("registry", "stats", "--json")
    assert result.exit_code == 0, result.output
    stats = json.loads(result.stdout)
    assert stats["villages"] >= 1
    assert stats["persons"] == 600
    assert stats["persons"] == sum(stats["persons_by_age_group"].values())
    assert set(stats["persons_by_age_group"]) == {"under_6", "6_to_13", "14_plus"}
    assert stats["households"] > 0


def test_search_by_name_without_diacritics(civicid: Civicid, make_person: MakePerson) -> None:
    an = make_person("Nguyễn Văn An", dt.date(1995, 3, 12))
    result = civicid("registry", "search", "nguyen van an", "--json")
    assert result.exit_code == 0, result.output
    assert [p["id_number"] for p in json.loads(result.stdout)] == [an.id_number]


def test_search_by_a_given_name_alone(civicid: Civicid, make_person: MakePerson) -> None:
    thang = make_person("Lò Văn Thắng", dt.date(1990, 1, 1))
    result = civicid("registry", "search", "thang", "--json")
    assert result.exit_code == 0, result.output
    assert [p["id_number"] for p in json.loads(result.stdout)] == [thang.id_number]


def test_search_shows_account_and_application_status(
    context: Context, civicid: Civicid, make_person: MakePerson
) -> None:
    with_account = make_person("Lò Văn Thắng", dt.date(1990, 1, 1))
    make_person("Vi Văn Thắng", dt.date(1991, 1, 1))
    issued_account(context, with_account)
    result = civicid("registry", "search", "thang", "--json")
    statuses = {row["full_name"]: (row["account"], row["application"]) for row in json.loads(result.stdout)}
    assert statuses == {"Lò Văn Thắng": ("pending_activation", None), "Vi Văn Thắng": (None, None)}


def test_search_says_when_it_stops_at_its_limit(civicid: Civicid, make_person: MakePerson) -> None:
    for year in (1980, 1981, 1982):
        make_person("Lò Văn Thắng", dt.date(year, 1, 1))
    result = civicid("registry", "search", "thang", "--limit", "2", "--json")
    assert len(json.loads(result.stdout)) == 2
    assert "more persons match: --offset 2" in result.stderr
    last = civicid("registry", "search", "thang", "--limit", "2", "--offset", "2", "--json")
    assert len(json.loads(last.stdout)) == 1
    assert "more persons match" not in last.stderr


def test_search_without_criteria_is_refused_in_one_line(civicid: Civicid) -> None:
    result = civicid("registry", "search")
    assert result.exit_code == 2
    assert result.stderr.strip().count("\n") == 0
    assert "give a name" in result.stderr


def test_export_writes_the_import_format_and_a_second_import_is_refused(
    civicid: Civicid, make_person: MakePerson, tmp_path: Path
) -> None:
    an = make_person("Nguyễn Văn An", dt.date(1995, 3, 12))
    exported = tmp_path / "commune.csv"
    assert civicid("registry", "export", "--out", str(exported)).exit_code == 0
    rows = list(csv.DictReader(exported.open(encoding="utf-8")))
    assert [(r["id_number"], r["full_name"]) for r in rows] == [(an.id_number, "Nguyễn Văn An")]
    again = civicid("registry", "import", str(exported))
    assert again.exit_code == 2
    assert "line 2: id_number is already in the registry" in again.stderr


def test_import_with_bad_rows_exits_2_naming_each_line(civicid: Civicid, tmp_path: Path) -> None:
    path = tmp_path / "bad.csv"
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["commune_code", "village", "household_number", "id_number", "full_name", "date_of_birth", "sex"])
    writer.writerow(["05716", "Bản Mới", "001", "019095001234", "Nguyễn Văn An", "12/03/1995", "M"])
    writer.writerow(["05716", "Bản Mới", "001", "01909500123", "Nguyễn Văn Bình", "1995-03-12", "M"])
    path.write_text(out.getvalue(), encoding="utf-8")
    result = civicid("registry", "import", str(path))
    assert result.exit_code == 2
    assert "line 2: date_of_birth '12/03/1995' is not a date YYYY-MM-DD" in result.stderr
    assert "line 3:" in result.stderr
    assert "nothing was imported" in result.stderr
    assert "Traceback" not in result.output
    assert json.loads(civicid("registry", "stats", "--json").stdout)["persons"] == 0


def test_import_of_a_missing_file_exits_2(civicid: Civicid, tmp_path: Path) -> None:
    result = civicid("registry", "import", str(tmp_path / "nope.csv"))
    assert result.exit_code == 2
    assert "is not a readable file" in result.stderr
