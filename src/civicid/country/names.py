"""Vietnamese names: diacritic-free search keys and the MRZ's transliteration.

Search must find "Nguyễn Văn An" from "nguyen van an" typed on a phone without a Vietnamese keyboard;
the MRZ (ICAO 9303-3 §4.6) only allows A-Z and the filler ``<``.
"""

from __future__ import annotations

import re
import unicodedata

_WHITESPACE = re.compile(r"\s+")
_NOT_MRZ_LETTER = re.compile(r"[^A-Z]+")


def fold(text: str) -> str:
    """Lowercase, strip Vietnamese diacritics and collapse whitespace: the key for name search.

    Decomposition (NFD) splits tone and vowel marks (ư, ơ, â, ă, ê, ô and the five tones) into
    combining marks that are dropped. ``đ`` is a letter of its own, not a ``d`` with a mark, so it is
    mapped explicitly, as Vietnamese transliteration does.
    """
    decomposed = unicodedata.normalize("NFD", text.lower().replace("đ", "d").replace("Đ", "d"))
    stripped = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return _WHITESPACE.sub(" ", stripped).strip()


def name_words(text: str) -> list[str]:
    """The folded words of a name, in order: the keys of search by any word ("thang", "van thang")."""
    return fold(text).split()


def to_mrz_name(full_name: str) -> tuple[str, str]:
    """Split a Vietnamese full name into the MRZ's (surname, given names), uppercase ASCII.

    Vietnamese order is family name first, so the first word is the surname and the rest (middle and
    given names) are the MRZ's given names. Characters outside A-Z (hyphens, apostrophes) become
    word breaks, as ICAO 9303-3 §4.6.5 recommends.
    """
    words = _NOT_MRZ_LETTER.sub(" ", fold(full_name).upper()).split()
    if not words:
        return "", ""
    return words[0], " ".join(words[1:])
