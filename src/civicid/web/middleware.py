"""The server's edge, as one pure ASGI middleware (no BaseHTTPMiddleware: it breaks streaming and
context variables).

For every HTTP request it:

- gives the request an id (``X-Request-ID``) that error responses and logs quote;
- refuses a state-changing request whose ``Origin`` (or, lacking it, ``Referer``) is another site:
  with SameSite=Strict session cookies this closes cross-site request forgery, login forms included;
- adds the security headers (CSP without inline code, no framing, no referrer across sites, nosniff)
  and ``Cache-Control: no-store`` on everything but static assets, since pages carry personal data;
- turns any unexpected exception into the generic 500 problem, logging the exception's type and the
  code locations only: exception messages may carry personal data (a SQL error quotes its parameters).
"""

from __future__ import annotations

import logging
import secrets
from urllib.parse import urlsplit

from starlette.datastructures import Headers, MutableHeaders
from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from civicid.core.errors import described_for_log
from civicid.web.problems import problem_response, unexpected_error_response

logger = logging.getLogger("civicid.web")

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; base-uri 'none'; object-src 'none'; form-action 'self'; frame-ancestors 'none'"
)
SECURITY_HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    # "same-origin" rather than "no-referrer": nothing leaves the site either way, and with
    # "no-referrer" browsers send "Origin: null" on the site's own form posts, defeating the origin check.
    "Referrer-Policy": "same-origin",
    "Cross-Origin-Opener-Policy": "same-origin",
}
#: Assets that carry no personal data and may be cached: the toolkit's, and the citizen app's shell.
STATIC_PREFIXES = ("/static/", "/app/static/")


class EdgeMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request_id = secrets.token_hex(8)
        scope.setdefault("state", {})["request_id"] = request_id
        started = False

        async def send_with_headers(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
                headers = MutableHeaders(scope=message)
                for name, value in SECURITY_HEADERS.items():
                    headers.setdefault(name, value)
                headers["X-Request-ID"] = request_id
                if not scope["path"].startswith(STATIC_PREFIXES):
                    headers.setdefault("Cache-Control", "no-store")
            await send(message)

        if scope["method"] not in SAFE_METHODS and not same_origin(Headers(scope=scope)):
            response = problem_response(
                Request(scope),
                status=403,
                code="cross_origin_request",
                title="Cross-origin request refused",
                detail="this form or request came from another site",
            )
            await response(scope, receive, send_with_headers)
            return
        try:
            await self.app(scope, receive, send_with_headers)
        except Exception as exc:
            logger.error("request %s failed: %s", request_id, described_for_log(exc))
            if started:
                return  # Part of a response is out; the connection simply ends.
            await unexpected_error_response(Request(scope, receive))(scope, receive, send_with_headers)


def same_origin(headers: Headers) -> bool:
    """True unless the browser says the request comes from another origin than this host.

    Requests with neither ``Origin`` nor ``Referer`` are API clients and scripts, not browsers, which
    always send ``Origin`` on a POST; they are let through (they authenticate with a bearer token).
    """
    host = headers.get("host", "")
    origin = headers.get("origin")
    if origin is not None:
        return origin != "null" and urlsplit(origin).netloc == host
    referer = headers.get("referer")
    if referer is not None:
        return urlsplit(referer).netloc == host
    return True
