"""Vietnamese and English for every page (DESIGN.md decision 11).

Messages live in JSON catalogues, one per language: ``web/translations/<lang>.json``, merged with any
capability's ``<capability>/translations/<lang>.json`` so that each capability owns its own strings.
Vietnamese is the default; a page's language is chosen by ``?lang=``, then the ``lang`` cookie, then
the browser's Accept-Language.
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

LANGUAGES = ("vi", "en")
DEFAULT_LANGUAGE = "vi"
LANGUAGE_COOKIE = "lang"
LANGUAGE_NAMES = {"vi": "Tiếng Việt", "en": "English"}
_PACKAGE = Path(__file__).resolve().parent.parent


def catalogue_files(language: str) -> list[Path]:
    """The web catalogue first, then each capability's, in a stable order."""
    files = [_PACKAGE / "web" / "translations" / f"{language}.json"]
    files += sorted(p for p in _PACKAGE.glob(f"*/translations/{language}.json") if p.parent.parent.name != "web")
    return [p for p in files if p.is_file()]


@cache
def catalogue(language: str) -> dict[str, str]:
    """All messages of one language (read once per process)."""
    messages: dict[str, str] = {}
    for path in catalogue_files(language):
        messages.update(json.loads(path.read_text(encoding="utf-8")))
    return messages


def translate(language: str, key: str, /, **params: Any) -> str:
    """The message for ``key``, falling back to English, then to the key itself (never an error on a page)."""
    text = catalogue(language).get(key) or catalogue("en").get(key) or key
    return text.format(**params) if params else text


def supported(language: str | None) -> str | None:
    if language is None:
        return None
    primary = language.strip().lower().split("-")[0]
    return primary if primary in LANGUAGES else None


def from_accept_language(header: str | None) -> str | None:
    """The supported language the browser prefers most (RFC 9110 §12.5.4 quality values)."""
    if not header:
        return None
    ranked: list[tuple[float, int, str]] = []
    for position, part in enumerate(header.split(",")):
        tag, _, params = part.partition(";")
        quality = 1.0
        params = params.strip()
        if params.startswith("q="):
            try:
                quality = float(params[2:])
            except ValueError:
                continue
        language = supported(tag)
        if language is not None and quality > 0:
            ranked.append((-quality, position, language))
    return min(ranked)[2] if ranked else None


def negotiate(*, query: str | None, cookie: str | None, accept_language: str | None) -> str:
    return supported(query) or supported(cookie) or from_accept_language(accept_language) or DEFAULT_LANGUAGE
