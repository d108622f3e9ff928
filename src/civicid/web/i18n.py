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
    web = _PACKAGE / "web" / "translations"
    # The problems' titles and details (web/problems.py) have a file of their own: there are many.
    files = [web / f"{language}.json", web / f"problems.{language}.json"]
    files += sorted(p for p in _PACKAGE.glob(f"*/translations/{language}.json") if p.parent.parent.name != "web")
    return [p for p in files if p.is_file()]


@cache
def catalogue(language: str) -> dict[str, str]:
    """All messages of one language (read once per process)."""
    messages: dict[str, str] = {}
    for path in catalogue_files(language):
        messages.update(json.loads(path.read_text(encoding="utf-8")))
    return messages


def has(language: str, key: str) -> bool:
    """Whether the language's own catalogue holds ``key`` (no fallback to English)."""
    return key in catalogue(language)


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


class _Blank(dict[str, str]):
    """Format parameters where a missing one reads as nothing rather than failing an error page."""

    def __missing__(self, key: str) -> str:
        return ""


def problem_words(
    language: str,
    *,
    status: int,
    code: str,
    title: str,
    detail: str | None,
    extensions: dict[str, Any] | None = None,
    params: dict[str, str] | None = None,
) -> tuple[str, str | None]:
    """A problem's title and detail in ``language`` (``problems.*.json``); English keeps the raised words.

    The detail is looked up by the problem's ``fault`` or ``field`` extension, then its code, then its
    HTTP status: a Vietnamese reader never gets the English text the domain raised with.
    """
    if language == "en":
        return title, detail
    extensions = extensions or {}
    values = {key: str(value) for key, value in extensions.items() if isinstance(value, str | int | float)}
    values.update(params or {})
    if has(language, f"problem.{code}"):
        title = translate(language, f"problem.{code}")
    marks = [str(extensions[name]) for name in ("fault", "field") if extensions.get(name)]
    for key in [*(f"problem.{code}.{mark}" for mark in marks), f"problem.{code}.detail", f"problem.status.{status}"]:
        if has(language, key):
            return title, catalogue(language)[key].format_map(_Blank(values))
    return title, None


def problem_message(language: str, error: Any) -> str:
    """One line for a page that shows a domain error inline: the raised words in English; in
    Vietnamese the catalogue's detail for it, else its title."""
    if language == "en":
        return str(error.detail)
    marks = [str(error.extensions[n]) for n in ("fault", "field") if error.extensions.get(n)]
    for key in [*(f"problem.{error.code}.{mark}" for mark in marks), f"problem.{error.code}.detail"]:
        if has(language, key):
            return catalogue(language)[key].format_map(_Blank({}))
    title, _ = problem_words(language, status=error.status, code=error.code, title=error.title, detail=None)
    return title
