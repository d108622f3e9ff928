"""Synthetic Vietnamese names, with diacritics, for the demo population.

Names are family name, middle name, given name. The families are weighted the way a commune of a
northern mountain province looks: the common Kinh families, and the Tày, Nùng, Dao, H'Mông and Thái
families of the hills (Hà, Lò, Sùng, Giàng, Triệu, Nông…). Every name carries its diacritics, so the
registry's diacritic-free search (``country.names.fold``) is exercised by the demo.

Lookups are by a uniform draw into a pre-expanded table rather than ``random.choices``: the
generator names a million persons and this is its innermost loop.
"""

from __future__ import annotations

import random
from collections.abc import Sequence

from civicid.country.sex import Sex

# Weights are rough shares per thousand, not census figures: enough for a plausible mix.
SURNAMES: tuple[tuple[str, int], ...] = (
    ("Nguyễn", 220),
    ("Trần", 60),
    ("Lê", 50),
    ("Phạm", 35),
    ("Hoàng", 45),
    ("Vũ", 20),
    ("Đặng", 25),
    ("Bùi", 15),
    ("Đỗ", 15),
    ("Hồ", 10),
    ("Ngô", 10),
    ("Dương", 20),
    ("Lý", 20),
    ("Hà", 40),
    ("Lò", 20),
    ("Lường", 10),
    ("Sùng", 20),
    ("Giàng", 20),
    ("Vàng", 15),
    ("Mùa", 10),
    ("Thào", 15),
    ("Triệu", 30),
    ("Lục", 15),
    ("Nông", 40),
    ("Ma", 25),
    ("Lăng", 10),
    ("Đinh", 15),
    ("La", 15),
    ("Mông", 10),
    ("Bế", 15),
)

MIDDLE_NAMES: dict[Sex, tuple[tuple[str, int], ...]] = {
    Sex.MALE: (
        ("Văn", 550),
        ("Đức", 80),
        ("Minh", 70),
        ("Quang", 50),
        ("Hữu", 50),
        ("Thanh", 40),
        ("Ngọc", 30),
        ("Xuân", 40),
        ("Công", 40),
        ("Mạnh", 30),
        ("Trung", 20),
    ),
    Sex.FEMALE: (
        ("Thị", 650),
        ("Ngọc", 60),
        ("Thu", 50),
        ("Thanh", 50),
        ("Hồng", 50),
        ("Minh", 30),
        ("Kim", 30),
        ("Thùy", 30),
        ("Bảo", 20),
        ("Khánh", 30),
    ),
}

GIVEN_NAMES: dict[Sex, tuple[str, ...]] = {
    Sex.MALE: (
        "An",
        "Anh",
        "Bảo",
        "Bình",
        "Cường",
        "Chiến",
        "Công",
        "Dũng",
        "Duy",
        "Dương",
        "Đạt",
        "Định",
        "Đông",
        "Giang",
        "Hải",
        "Hào",
        "Hiếu",
        "Hòa",
        "Hoàng",
        "Hùng",
        "Huy",
        "Hưng",
        "Khang",
        "Khánh",
        "Kiên",
        "Lâm",
        "Lợi",
        "Long",
        "Lực",
        "Mạnh",
        "Minh",
        "Nam",
        "Nghĩa",
        "Phong",
        "Phúc",
        "Quân",
        "Quý",
        "Sơn",
        "Tài",
        "Thắng",
        "Thành",
        "Thịnh",
        "Tiến",
        "Toàn",
        "Trọng",
        "Trung",
        "Tuấn",
        "Tùng",
        "Việt",
        "Vinh",
        "Pấu",
        "Chứ",
        "Dình",
        "Páo",
        "Sình",
        "Tủa",
        "Khoa",
        "Lộc",
        "Nhật",
    ),
    Sex.FEMALE: (
        "An",
        "Anh",
        "Ánh",
        "Bích",
        "Chi",
        "Cúc",
        "Dung",
        "Duyên",
        "Giang",
        "Hà",
        "Hạnh",
        "Hằng",
        "Hiền",
        "Hoa",
        "Hồng",
        "Huệ",
        "Hương",
        "Huyền",
        "Lan",
        "Liên",
        "Linh",
        "Loan",
        "Mai",
        "My",
        "Nga",
        "Ngân",
        "Ngọc",
        "Nhung",
        "Nhàn",
        "Oanh",
        "Phương",
        "Quyên",
        "Quỳnh",
        "Sen",
        "Tâm",
        "Thảo",
        "Thắm",
        "Thơm",
        "Thu",
        "Thủy",
        "Thúy",
        "Trang",
        "Tuyết",
        "Vân",
        "Yến",
        "Xuân",
        "Dợ",
        "Mỷ",
        "Máy",
        "Sua",
        "Chò",
        "Vi",
        "Diệp",
        "Hậu",
        "Nhi",
        "Tươi",
        "Lụa",
        "Mến",
    ),
}


def _expand(weighted: Sequence[tuple[str, int]]) -> tuple[str, ...]:
    # One slot per unit of weight: a uniform index into the table is a weighted draw.
    return tuple(name for name, weight in weighted for _ in range(weight))


_SURNAME_TABLE = _expand(SURNAMES)
_MIDDLE_TABLE = {sex: _expand(weighted) for sex, weighted in MIDDLE_NAMES.items()}


def surname(rng: random.Random) -> str:
    """A family name, drawn with the commune's weights."""
    table = _SURNAME_TABLE
    return table[int(rng.random() * len(table))]


def full_name(rng: random.Random, sex: Sex, family: str) -> str:
    """ "Family Middle Given", for example "Nông Thị Hằng"; the family is chosen by the caller."""
    middles = _MIDDLE_TABLE[sex]
    givens = GIVEN_NAMES[sex]
    middle = middles[int(rng.random() * len(middles))]
    given = givens[int(rng.random() * len(givens))]
    return f"{family} {middle} {given}"
