"""Name folding for search and MRZ transliteration."""

from __future__ import annotations

import pytest

from civicid.country.names import fold, to_mrz_name


@pytest.mark.parametrize(
    ("text", "folded"),
    [
        ("Nguyễn Văn An", "nguyen van an"),
        ("Đặng Thị Ánh Tuyết", "dang thi anh tuyet"),
        ("  Trương   Ngọc\tƯớc  ", "truong ngoc uoc"),
        ("Phạm Đức Thắng", "pham duc thang"),
        ("Hoàng Thị Nở", "hoang thi no"),
    ],
)
def test_fold_drops_case_diacritics_and_extra_whitespace(text: str, folded: str) -> None:
    assert fold(text) == folded


def test_fold_treats_precomposed_and_decomposed_text_alike() -> None:
    import unicodedata

    name = "Nguyễn Văn An"
    assert fold(unicodedata.normalize("NFD", name)) == fold(unicodedata.normalize("NFC", name))


def test_mrz_name_puts_the_family_name_first_as_surname() -> None:
    assert to_mrz_name("Nguyễn Văn An") == ("NGUYEN", "VAN AN")


def test_mrz_name_turns_punctuation_into_word_breaks() -> None:
    assert to_mrz_name("Lê Thị Hồng-Nhung") == ("LE", "THI HONG NHUNG")


def test_mrz_name_of_a_single_word_has_no_given_names() -> None:
    assert to_mrz_name("Đạt") == ("DAT", "")
