"""``civicid country``: exit status 0 on success, 2 with one stderr line on bad input; JSON shapes."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

from typer.testing import Result

from .conftest import DOMAIN_MRZ

Cli = Callable[..., Result]


def test_check_id_prints_decoded_fields_as_json(country_cli: Cli) -> None:
    result = country_cli("check-id", "019095001234", "--dob", "1995-03-12", "--sex", "M", "--json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout) == {
        "number": "019095001234",
        "province_code": "019",
        "province_name": "Thái Nguyên",
        "sex": "M",
        "century": 1900,
        "birth_year": 1995,
        "serial": "001234",
    }


def test_check_id_prints_a_readable_table(country_cli: Cli) -> None:
    result = country_cli("check-id", "019095001234")
    assert result.exit_code == 0, result.output
    assert "Thái Nguyên" in result.stdout
    assert "1995" in result.stdout


def test_invalid_id_exits_2_with_one_line_naming_the_fault(country_cli: Cli) -> None:
    result = country_cli("check-id", "01909500123")
    assert result.exit_code == 2
    assert result.stdout == ""
    assert result.stderr == "error: ID number has 11 digits; it must have 12 (invalid_id_number)\n"


def test_id_disagreeing_with_sex_exits_2(country_cli: Cli) -> None:
    result = country_cli("check-id", "019095001234", "--sex", "F")
    assert result.exit_code == 2
    assert "invalid_id_number" in result.stderr


def test_a_birth_year_still_to_come_is_refused(country_cli: Cli) -> None:
    result = country_cli("check-id", "019299001234")
    assert result.exit_code == 2
    assert result.stderr == "error: ID number says born in 2099, a year that has not come yet (invalid_id_number)\n"


def test_bad_dob_format_exits_2_with_one_line(country_cli: Cli) -> None:
    result = country_cli("check-id", "019095001234", "--dob", "12/03/1995")
    assert result.exit_code == 2
    assert result.stderr == "error: --dob '12/03/1995' is not a date YYYY-MM-DD\n"


def test_parse_card_qr_reads_standard_input(country_cli: Cli) -> None:
    text = "019095001234||Nguyễn Văn An|12031995|Nam|Bắc Kạn|15042021\n"
    result = country_cli("parse-card-qr", "-", "--json", stdin=text)
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["full_name"] == "Nguyễn Văn An"
    assert data["date_of_birth"] == "1995-03-12"
    assert data["sex"] == "M"
    assert data["missing"] == ["old_id_number"]


def test_bad_card_qr_exits_2(country_cli: Cli) -> None:
    result = country_cli("parse-card-qr", "019095001234||An|12031995|X|Hà Nội|15042021")
    assert result.exit_code == 2
    assert "invalid_card_qr" in result.stderr


def test_parse_mrz_reads_a_file_and_shows_checks(country_cli: Cli, tmp_path: Path) -> None:
    path = tmp_path / "mrz.txt"
    path.write_text(DOMAIN_MRZ + "\n", encoding="utf-8")
    result = country_cli("parse-mrz", str(path), "--json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["id_number"] == "019095001234"
    assert data["date_of_birth"] == "1995-03-12"
    assert data["valid"] is True
    assert set(data["checks"]) == {"document_number", "date_of_birth", "expiry_date", "optional_data", "composite"}


def test_parse_mrz_readable_output_says_checks_hold(country_cli: Cli) -> None:
    result = country_cli("parse-mrz", "-", stdin=DOMAIN_MRZ)
    assert result.exit_code == 0, result.output
    assert "holds" in result.stdout
    assert "FAILS" not in result.stdout


def test_corrupted_mrz_exits_2_naming_failing_checks(country_cli: Cli) -> None:
    result = country_cli("parse-mrz", "-", "--json", stdin=DOMAIN_MRZ.replace("3503122", "3503132"))
    assert result.exit_code == 2
    assert json.loads(result.stdout)["checks"]["expiry_date"] is False
    assert result.stderr == "error: MRZ check digits fail: expiry_date, composite (invalid_mrz)\n"


def test_unreadable_mrz_file_exits_2(country_cli: Cli, tmp_path: Path) -> None:
    result = country_cli("parse-mrz", str(tmp_path / "absent.txt"))
    assert result.exit_code == 2
    assert result.stderr.startswith("error: cannot read")


def test_provinces_lists_34_as_json(country_cli: Cli) -> None:
    result = country_cli("provinces", "--json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert len(data) == 34
    assert data[0] == {"code": "01", "name": "Thành phố Hà Nội"}


def test_communes_of_a_province_as_json(country_cli: Cli) -> None:
    result = country_cli("communes", "--province", "19", "--json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data
    assert set(data[0]) == {"code", "name", "province_code"}
    assert {row["province_code"] for row in data} == {"19"}


def test_communes_of_an_unknown_province_exit_2(country_cli: Cli) -> None:
    result = country_cli("communes", "--province", "02")
    assert result.exit_code == 2
    assert "unknown_administrative_unit" in result.stderr


def test_provinces_prints_a_readable_table(country_cli: Cli) -> None:
    result = country_cli("provinces")
    assert result.exit_code == 0, result.output
    assert "Cà Mau" in result.stdout
