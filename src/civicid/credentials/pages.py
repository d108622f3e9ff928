"""The verifier's page at ``/verify``: installable, and verifying in the browser, offline once loaded.

The page reads the camera or an uploaded picture (jsQR, vendored under ``static/vendor``), or pasted
text, and verifies with ``static/verifier.js`` (Base45, zlib, CBOR, COSE_Sign1 with WebCrypto's
ECDSA P-256): nothing leaves the phone. It pins the trust bundle's signer (the thumbprint in
``data-anchor``), keeps the bundle it last fetched and shows its age. The service worker
(``/verify/sw.js``, scope ``/verify``) keeps the page for the days without signal.
"""

from __future__ import annotations

import hashlib
from functools import cache
from pathlib import Path

from fastapi import APIRouter, Request
from fastapi.responses import FileResponse, HTMLResponse, JSONResponse
from jinja2 import Environment, FileSystemLoader, select_autoescape
from starlette.responses import Response

from civicid.credentials import service
from civicid.credentials.router import issuer_keys
from civicid.web.middleware import CONTENT_SECURITY_POLICY
from civicid.web.templating import request_language

STATIC_DIR = Path(__file__).resolve().parent / "static"
STATIC_PATH = "/verify/static/"
TEMPLATES = Path(__file__).resolve().parent / "templates"
#: The server's policy, and the camera's frames and the photo a credential discloses drawn from memory.
PAGE_CSP = f"{CONTENT_SECURITY_POLICY}; img-src 'self' blob: data:; media-src 'self' blob: mediastream:"

_ENVIRONMENT = Environment(loader=FileSystemLoader(TEMPLATES), autoescape=select_autoescape(["html"]))

router = APIRouter(include_in_schema=False)


@router.get("/verify")
def verify_page(request: Request) -> Response:
    """The verifier's page, pinned to this server's trust anchor."""
    anchor = service.trust_anchor(issuer_keys(request, request.app.state.context))
    html = _ENVIRONMENT.get_template("verify.html").render(
        lang=request_language(request), anchor=anchor, version=version()
    )
    return HTMLResponse(html, headers={"Content-Security-Policy": PAGE_CSP, "Cache-Control": "no-cache"})


@router.get("/verify/manifest.webmanifest")
def manifest() -> Response:
    body = {
        "name": "CivicID · Kiểm tra mã QR",
        "short_name": "Kiểm tra QR",
        "id": "/verify",
        "start_url": "/verify",
        "scope": "/verify",
        "display": "standalone",
        "theme_color": "#b3261e",
        "background_color": "#f3f5f8",
        "icons": [{"src": f"{STATIC_PATH}icon.svg", "sizes": "any", "type": "image/svg+xml"}],
    }
    return JSONResponse(body, media_type="application/manifest+json")


@router.get("/verify/sw.js")
def service_worker() -> Response:
    return FileResponse(
        STATIC_DIR / "sw.js",
        media_type="text/javascript; charset=utf-8",
        headers={"Service-Worker-Allowed": "/verify", "Cache-Control": "no-cache"},
    )


@cache
def version() -> str:
    """A digest of the page's files: a new release gets a new cache."""
    digest = hashlib.sha256()
    for path in sorted([*STATIC_DIR.rglob("*"), *TEMPLATES.rglob("*")]):
        if path.is_file():
            digest.update(path.name.encode())
            digest.update(path.read_bytes())
    return digest.hexdigest()[:16]
