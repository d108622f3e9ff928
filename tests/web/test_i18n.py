"""Vietnamese and English: the catalogues, the choice of language and every key pages use."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from civicid.web import i18n

SRC = Path(i18n.__file__).resolve().parent.parent


def test_catalogues_have_the_same_keys() -> None:
    assert set(i18n.catalogue("vi")) == set(i18n.catalogue("en"))


def test_vietnamese_has_its_diacritics() -> None:
    assert i18n.translate("vi", "login.title") == "Đăng nhập"
    assert i18n.translate("vi", "login.password") == "Mật khẩu"


def test_every_literal_key_in_templates_is_translated() -> None:
    keys: set[str] = set()
    for template in SRC.glob("*/templates/**/*.html"):
        keys |= set(re.findall(r"""_\(\s*["']([a-z0-9_.]+)["']""", template.read_text(encoding="utf-8")))
    missing = sorted(k for k in keys if k.rstrip(".") == k and k not in i18n.catalogue("vi"))
    assert missing == []


@pytest.mark.parametrize(
    ("query", "cookie", "accept", "expected"),
    [
        (None, None, None, "vi"),
        ("en", "vi", "vi", "en"),
        (None, "en", "vi", "en"),
        ("fr", None, "en-GB,en;q=0.9", "en"),
        (None, None, "fr-FR, en;q=0.5, vi;q=0.8", "vi"),
        (None, None, "en;q=0, vi;q=garbage", "vi"),
    ],
)
def test_negotiate(query: str | None, cookie: str | None, accept: str | None, expected: str) -> None:
    assert i18n.negotiate(query=query, cookie=cookie, accept_language=accept) == expected


def test_missing_key_falls_back_to_the_key() -> None:
    assert i18n.translate("vi", "no.such.key") == "no.such.key"
