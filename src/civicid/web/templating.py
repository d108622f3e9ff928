"""Rendering pages: one Jinja2 environment for the whole server.

Templates are found in ``web/templates`` (the layout, login, errors) and in each capability's
``templates/`` folder under the capability's name: ``registry/villages.html`` is
``src/civicid/registry/templates/villages.html``. Autoescaping is on for every template.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import jinja2
from starlette.requests import Request
from starlette.responses import HTMLResponse

from civicid.web import i18n
from civicid.web.roles import Permission, allows
from civicid.web.staff import StaffAccount

_PACKAGE = Path(__file__).resolve().parent.parent
#: The toolkit's own assets (styles), served at ``/static`` by the server and the kit alike; never a CDN.
STATIC_DIR = Path(__file__).resolve().parent / "static"
LANGUAGE_COOKIE_MAX_AGE = 365 * 24 * 3600


@jinja2.pass_context
def _gettext(context: jinja2.runtime.Context, key: str, /, **params: Any) -> str:
    return i18n.translate(context.get("lang", i18n.DEFAULT_LANGUAGE), key, **params)


@jinja2.pass_context
def _label(context: jinja2.runtime.Context, prefix: str, value: str) -> str:
    """A translated label for a stored value (``registry.relation`` + ``head``), else the value itself."""
    key = f"{prefix}.{value}"
    text = i18n.translate(context.get("lang", i18n.DEFAULT_LANGUAGE), key)
    return value if text == key else text


@jinja2.pass_context
def _problem_message(context: jinja2.runtime.Context, error: Any) -> str:
    """A domain error shown inline on a page, in the page's language (``i18n.problem_message``)."""
    return i18n.problem_message(context.get("lang", i18n.DEFAULT_LANGUAGE), error)


def build_environment() -> jinja2.Environment:
    """The environment of :func:`render`; built by the app factory, not at import time."""
    capabilities = {
        folder.parent.name: jinja2.FileSystemLoader(folder)
        for folder in sorted(_PACKAGE.glob("*/templates"))
        if folder.parent.name != "web"
    }
    environment = jinja2.Environment(
        loader=jinja2.ChoiceLoader(
            [jinja2.FileSystemLoader(_PACKAGE / "web" / "templates"), jinja2.PrefixLoader(capabilities)]
        ),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    environment.globals["_"] = _gettext
    environment.globals["label"] = _label
    environment.globals["problem_message"] = _problem_message
    environment.globals["Permission"] = Permission
    return environment


def request_language(request: Request) -> str:
    return i18n.negotiate(
        query=request.query_params.get("lang"),
        cookie=request.cookies.get(i18n.LANGUAGE_COOKIE),
        accept_language=request.headers.get("accept-language"),
    )


def url_with(request: Request, **params: str) -> str:
    """This page's path and query with some parameters replaced (the language switch uses it)."""
    query = dict(request.query_params)
    query.update(params)
    return f"{request.url.path}?{urlencode(query)}"


def render(
    request: Request,
    name: str,
    context: dict[str, Any] | None = None,
    *,
    principal: StaffAccount | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    """Render ``name`` in the request's language; remember a language chosen with ``?lang=``."""
    environment: jinja2.Environment = request.app.state.templates
    lang = request_language(request)
    other = next(code for code in i18n.LANGUAGES if code != lang)
    values: dict[str, Any] = {
        "request": request,
        "lang": lang,
        "other_lang": other,
        "other_lang_name": i18n.LANGUAGE_NAMES[other],
        "lang_switch_url": url_with(request, lang=other),
        "principal": principal,
        "can": (lambda permission: principal is not None and allows(principal.role, permission)),
        **(context or {}),
    }
    response = HTMLResponse(environment.get_template(name).render(values), status_code=status_code)
    chosen = i18n.supported(request.query_params.get("lang"))
    if chosen is not None:
        response.set_cookie(
            i18n.LANGUAGE_COOKIE, chosen, max_age=LANGUAGE_COOKIE_MAX_AGE, httponly=True, samesite="lax", path="/"
        )
    return response
