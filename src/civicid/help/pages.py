"""The help pages (``/help/``): a guide per step, in plain Vietnamese and English, printable, with its speech.

Public: a citizen reads them before having any account, an operator prints them to hand out. The
speech is served from the data folder (``civicid help audio``), never from outside.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path
from fastapi.responses import FileResponse
from starlette.requests import Request
from starlette.responses import Response

from civicid.help import audio
from civicid.help.errors import GuideNotFound
from civicid.help.guides import GUIDES, LANGUAGES, STEPS, guide
from civicid.web.deps import AppContext
from civicid.web.templating import render, request_language

router = APIRouter(include_in_schema=False)
Step = Annotated[str, Path(max_length=20, pattern="^[a-z_]+$")]
Language = Annotated[str, Path(max_length=2, pattern="^[a-z]{2}$")]


@router.get("/")
def help_index(request: Request) -> Response:
    lang = request_language(request)
    titles = [(step, GUIDES[step][lang].title) for step in STEPS]
    return render(request, "help/index.html", {"titles": titles})


@router.get("/{step}")
def help_page(request: Request, step: Step, context: AppContext) -> Response:
    lang = request_language(request)
    found = guide(step, lang)
    if found is None:
        raise GuideNotFound(f"no help page {step!r}")
    has_audio = audio.audio_path(context.settings.data_dir, lang, step).is_file()
    values = {"step": step, "guide": found, "has_audio": has_audio, "audio_lang": lang}
    return render(request, "help/guide.html", values)


@router.get("/audio/{language}/{step}.wav")
def help_audio(language: Language, step: Step, context: AppContext) -> Response:
    if language not in LANGUAGES or step not in GUIDES:
        raise GuideNotFound(f"no help page {step!r}")
    path = audio.audio_path(context.settings.data_dir, language, step)
    if not path.is_file():
        raise GuideNotFound("this guide has not been spoken yet (civicid help audio)")
    return FileResponse(path, media_type="audio/wav", headers={"Cache-Control": "public, max-age=86400"})
