"""The citizen's app at ``/app/``: an installable phone web app over the holder's JSON API.

The server renders only the shell (``templates/app.html``) in the visitor's language; the screens
are ES modules under ``static/js/`` that speak to ``/api/v1/accounts``. No build step, no framework,
nothing from outside the server: a village phone loads it once and the service worker (``/app/sw.js``,
scope ``/app/``) keeps it for the days without signal.

- ``/app/`` the shell; ``/app/static/…`` its assets (mounted by the app factory);
- ``/app/manifest.webmanifest`` what makes it installable;
- ``/app/sw.js`` the service worker, with the header that gives it the whole ``/app/`` scope;
- ``/app/i18n/<lang>.json`` the screens' words (the ``citizen.*`` messages of this folder's catalogue);
- ``/app/precache.json`` what the service worker keeps, and the version that names its cache.

The shell's Content-Security-Policy is the server's own (scripts from this origin only, no inline
code), plus ``img-src blob: data:`` for the portrait, which the app fetches with its session
headers and shows through a ``blob:`` URL.
"""

from __future__ import annotations

import hashlib
from functools import cache
from pathlib import Path

from fastapi import APIRouter, Request
from fastapi.responses import FileResponse, JSONResponse, RedirectResponse
from starlette.responses import Response

from civicid.core.errors import NotFound
from civicid.web import i18n
from civicid.web.middleware import CONTENT_SECURITY_POLICY
from civicid.web.templating import render, request_language

APP_PATH = "/app/"
STATIC_DIR = Path(__file__).resolve().parent / "static"
STATIC_PATH = f"{APP_PATH}static/"
SERVICE_WORKER = STATIC_DIR / "sw.js"
TEMPLATE = Path(__file__).resolve().parent / "templates" / "app.html"
THEME_COLOUR = "#b3261e"
BACKGROUND_COLOUR = "#f3f5f8"
#: The app's messages in the shared catalogue; the screens get them without the prefix.
STRING_PREFIX = "citizen."
SHELL_CSP = f"{CONTENT_SECURITY_POLICY}; img-src 'self' blob: data:"
MANIFEST_TYPE = "application/manifest+json"
ICONS = (
    ("icons/icon-192.png", "192x192", "any"),
    ("icons/icon-512.png", "512x512", "any"),
    ("icons/icon-maskable-512.png", "512x512", "maskable"),
)

router = APIRouter(include_in_schema=False)


@router.get("/app")
def app_without_slash() -> Response:
    return RedirectResponse(APP_PATH, status_code=308)


@router.get(APP_PATH)
def shell(request: Request) -> Response:
    """The shell every screen is drawn into; the screens follow the URL's fragment (``#/card``)."""
    page = render(request, "wallet/app.html", {"version": version(), "theme_colour": THEME_COLOUR})
    page.headers["Content-Security-Policy"] = SHELL_CSP
    return page


@router.get(f"{APP_PATH}manifest.webmanifest")
def manifest(request: Request) -> Response:
    lang = request_language(request)
    body = {
        "name": i18n.translate(lang, "citizen.app_name"),
        "short_name": i18n.translate(lang, "citizen.short_name"),
        "description": i18n.translate(lang, "citizen.description"),
        "lang": lang,
        "id": APP_PATH,
        "start_url": APP_PATH,
        "scope": APP_PATH,
        "display": "standalone",
        "orientation": "portrait",
        "theme_color": THEME_COLOUR,
        "background_color": BACKGROUND_COLOUR,
        "icons": [
            {"src": f"{STATIC_PATH}{path}", "sizes": sizes, "type": "image/png", "purpose": purpose}
            for path, sizes, purpose in ICONS
        ],
    }
    return JSONResponse(body, media_type=MANIFEST_TYPE)


@router.get(f"{APP_PATH}sw.js")
def service_worker() -> Response:
    """Served from ``/app/`` so that its scope is the app's; the header says so for browsers that ask."""
    return FileResponse(
        SERVICE_WORKER,
        media_type="text/javascript; charset=utf-8",
        headers={"Service-Worker-Allowed": APP_PATH, "Cache-Control": "no-cache"},
    )


@router.get(APP_PATH + "i18n/{lang}.json")
def strings(lang: str) -> Response:
    if lang not in i18n.LANGUAGES:
        raise NotFound(f"no language {lang!r}")
    return JSONResponse(app_strings(lang))


@router.get(f"{APP_PATH}precache.json")
def precache() -> Response:
    """What the service worker caches at install, under a cache named by :func:`version`."""
    return JSONResponse({"version": version(), "urls": precache_urls()})


def app_strings(lang: str) -> dict[str, str]:
    """The ``citizen.*`` messages of ``lang``, without their prefix."""
    return {
        key.removeprefix(STRING_PREFIX): text
        for key, text in i18n.catalogue(lang).items()
        if key.startswith(STRING_PREFIX)
    }


@cache
def precache_urls() -> list[str]:
    assets = [f"{STATIC_PATH}{path}" for path in _asset_paths() if path != SERVICE_WORKER.name]
    languages = [f"{APP_PATH}i18n/{lang}.json" for lang in i18n.LANGUAGES]
    return [APP_PATH, f"{APP_PATH}manifest.webmanifest", *languages, *assets]


@cache
def version() -> str:
    """A digest of everything the app is made of: a new release gets a new cache, and the old one goes."""
    digest = hashlib.sha256()
    files = [STATIC_DIR / p for p in _asset_paths()] + [TEMPLATE]
    files += [p for lang in i18n.LANGUAGES for p in i18n.catalogue_files(lang)]
    for path in files:
        digest.update(path.name.encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


def _asset_paths() -> list[str]:
    return sorted(p.relative_to(STATIC_DIR).as_posix() for p in STATIC_DIR.rglob("*") if p.is_file())
