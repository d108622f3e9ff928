"""RFC 9457 problem details for the API, readable error pages for people (DESIGN.md decision 12).

Every error leaves the server through here: domain errors (:class:`CivicIDError`) with their own
code and status, payload validation (422, listing each field without echoing its value, which may be
a password), unknown routes and methods, a database outage (503 ``database_unavailable`` with
``Retry-After``: the request did not complete, and may be sent again), and, from
``web/middleware.py``, unexpected exceptions as a generic 500 that names only a request id. Paths
under ``/api/`` get ``application/problem+json``; every other path gets an HTML page in the
visitor's language.

Titles and details follow the request's language (``Accept-Language``, or the page's ``?lang=`` and
cookie): :func:`localised` looks the problem's code up in ``web/translations/problems.*.json``. In
English the domain's own words stay; in Vietnamese a detail comes from the catalogue (by the
problem's ``fault`` or ``field`` extension, then the code, then its status), never the English text
the domain raised with, which stays in the logs' language only.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any
from urllib.parse import quote

from fastapi import FastAPI, HTTPException, Request
from fastapi.exceptions import RequestValidationError
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy.exc import DataError, DBAPIError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import JSONResponse, RedirectResponse, Response

from civicid.core.errors import CivicIDError, DatabaseUnavailable, NotAuthenticated
from civicid.core.outage import is_outage
from civicid.web import i18n
from civicid.web.routes import allowed_methods
from civicid.web.templating import render, request_language

PROBLEM_MEDIA_TYPE = "application/problem+json"
API_PREFIX = "/api/"
#: The API, and the certificate authority's endpoints (CRL, OCSP, TSA) that programs call.
MACHINE_PREFIXES = (API_PREFIX, "/pki/")
logger = logging.getLogger("civicid.web")

# How long a client should wait before sending again a request refused in a database outage: long
# enough not to hammer a database that is restarting, short enough for a blip to go unnoticed.
RETRY_AFTER_S = 5

_HTTP_CODES = {404: "not_found", 405: "method_not_allowed", 413: "payload_too_large", 415: "unsupported_media_type"}


class Problem(BaseModel):
    """RFC 9457 §3.1 members, plus CivicID's stable ``code``; extension members may follow."""

    model_config = ConfigDict(extra="allow")

    type: str = Field(description="A URI reference naming the problem type: /problems/<code>.")
    title: str
    status: int
    detail: str | None = None
    instance: str | None = Field(default=None, description="The path of the request that failed.")
    code: str = Field(description="Stable machine-readable code, e.g. person_not_found.")


class FieldError(BaseModel):
    location: str = Field(description="body, query, path, header or cookie.")
    field: str
    message: str
    type: str


class ValidationProblem(Problem):
    errors: list[FieldError]


class InputRefused(HTTPException):
    """Input refused at the edge (``web/edge.py``), raised from the body's ``receive``.

    An ``HTTPException``, because FastAPI re-raises those from its body parsing and turns anything
    else into a bare 400. ``errors`` lists the fields of a 422.
    """

    def __init__(self, status: int, detail: str, errors: list[FieldError] | None = None) -> None:
        super().__init__(status, detail=detail)
        self.errors = errors or []


def problem_type(code: str) -> str:
    return f"/problems/{code}"


def is_api(request: Request) -> bool:
    """Paths whose answers are for programs (problem+json), not people (pages)."""
    return request.url.path.startswith(MACHINE_PREFIXES) or request.url.path == "/openapi.json"


def request_id(request: Request) -> str | None:
    value = request.scope.get("state", {}).get("request_id")
    return str(value) if value is not None else None


def problem_response(
    request: Request,
    *,
    status: int,
    code: str,
    title: str,
    detail: str | None,
    extensions: dict[str, Any] | None = None,
    headers: dict[str, str] | None = None,
) -> Response:
    """The one place a failure becomes a response, as problem+json or as an error page."""
    title, detail = localised(request, status=status, code=code, title=title, detail=detail, extensions=extensions)
    if not is_api(request):
        page = render(
            request,
            "error.html",
            {"status": status, "code": code, "title": title, "detail": detail, "request_id": request_id(request)},
            status_code=status,
        )
        page.headers.update(headers or {})
        return page
    body: dict[str, Any] = {**(extensions or {})}
    body.update(
        type=problem_type(code), title=title, status=status, detail=detail, instance=request.url.path, code=code
    )
    return JSONResponse(body, status_code=status, media_type=PROBLEM_MEDIA_TYPE, headers=headers)


def localised(
    request: Request, *, status: int, code: str, title: str, detail: str | None, extensions: dict[str, Any] | None
) -> tuple[str, str | None]:
    """The problem's title and detail in the request's language (English: as raised)."""
    params = {"request_id": str(request_id(request)), "fields": ", ".join(_field_names(extensions))}
    return i18n.problem_words(
        _problem_language(request),
        status=status,
        code=code,
        title=title,
        detail=detail,
        extensions=extensions,
        params=params,
    )


def _problem_language(request: Request) -> str:
    """A page's language (query, cookie, browser); for the API only ``Accept-Language``, else English,
    the language the API's machine clients have always read."""
    if is_api(request):
        return i18n.from_accept_language(request.headers.get("accept-language")) or "en"
    return request_language(request)


def _field_names(extensions: dict[str, Any] | None) -> list[str]:
    errors = (extensions or {}).get("errors") or []
    return [str(e.get("field") or e.get("location")) for e in errors if isinstance(e, dict)]


async def civicid_error_handler(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, CivicIDError)  # noqa: S101 - registered for this class only
    if isinstance(exc, NotAuthenticated) and not is_api(request):
        # A person who is not logged in goes to the login page, and comes back afterwards.
        target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        return RedirectResponse(f"/login?next={quote(target, safe='')}", status_code=303)
    headers = {"WWW-Authenticate": "Bearer"} if isinstance(exc, NotAuthenticated) else None
    if isinstance(exc, DatabaseUnavailable):
        headers = {"Retry-After": str(RETRY_AFTER_S)}
    elif isinstance(exc.extensions.get("retry_after_seconds"), int):
        # A lock that lifts by itself (too many wrong passwords or passcodes): RFC 9110 §10.2.3.
        headers = {"Retry-After": str(exc.extensions["retry_after_seconds"])}
    extensions = _jsonable(exc.extensions)
    if exc.status == 422 and "errors" not in extensions:
        # Every 422 is a ValidationProblem (the document says so): a domain rule names its field, if any.
        field = str(extensions.get("field", ""))
        extensions["errors"] = [
            FieldError(location="body", field=field, message=exc.detail or exc.title, type=exc.code).model_dump()
        ]
    return problem_response(
        request,
        status=exc.status,
        code=exc.code,
        title=exc.title,
        detail=exc.detail,
        extensions=extensions,
        headers=headers,
    )


async def database_error_handler(request: Request, exc: Exception) -> Response:
    """A database outage becomes :class:`DatabaseUnavailable` (503); any other database error is a bug.

    The bug is raised on, to the edge middleware's generic 500. The outage is logged by its type
    only: a driver's message may quote the statement's parameters.
    """
    if isinstance(exc, DataError):
        return invalid_value_response(request, exc)
    if not is_outage(exc):
        raise exc
    cause = exc.orig if isinstance(exc, DBAPIError) else exc
    logger.warning("request %s: database unavailable (%s)", request_id(request), type(cause).__name__)
    unavailable = DatabaseUnavailable("the database is not answering; send the request again shortly")
    return await civicid_error_handler(request, unavailable)


def invalid_value_response(request: Request, exc: DataError) -> Response:
    """The database refused a value (SQLSTATE class 22: out of range, too long, not encodable): a 422.

    The edge's types bound what they know (``core/inputs.py``); this is the net under them, so that
    a value they missed is the client's error and never a 500. Logged by class, to be bounded at the edge.
    """
    logger.warning("request %s: the database refused a value (%s)", request_id(request), type(exc.orig).__name__)
    refused = FieldError(location="body", field="", message="a value is outside what can be stored", type="value_error")
    return validation_problem(request, [refused])


async def http_error_handler(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, StarletteHTTPException)  # noqa: S101 - registered for this class only
    if isinstance(exc, InputRefused) and exc.status_code == 422:
        return validation_problem(request, exc.errors)
    code = _HTTP_CODES.get(exc.status_code, f"http_{exc.status_code}")
    title = {404: "Not found", 405: "Method not allowed", 413: "The request body is too large"}.get(
        exc.status_code, "Request could not be completed"
    )
    detail = exc.detail if isinstance(exc.detail, str) else None
    headers = dict(exc.headers or {})
    if exc.status_code == 405:
        # Every method the path takes, not only those of the first route Starlette met (RFC 9110 §15.5.6).
        headers["Allow"] = ", ".join(allowed_methods(request.scope))
    return problem_response(request, status=exc.status_code, code=code, title=title, detail=detail, headers=headers)


async def validation_error_handler(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, RequestValidationError)  # noqa: S101 - registered for this class only
    return validation_problem(request, field_errors(exc.errors()))


def validation_problem(request: Request, errors: list[FieldError]) -> Response:
    """The 422 of RFC 9457 with an ``errors`` member: one entry per field, its value never echoed."""
    detail = "; ".join(f"{e.field or e.location}: {e.message}" for e in errors)
    return problem_response(
        request,
        status=422,
        code="validation_error",
        title="The request is not valid",
        detail=detail,
        extensions={"errors": [e.model_dump() for e in errors]},
    )


def field_errors(raw: Sequence[Any]) -> list[FieldError]:
    """Pydantic's errors without their ``input`` and ``ctx`` members, which may echo a secret."""
    errors = []
    for error in raw:
        location = [str(part) for part in error.get("loc", ())]
        errors.append(
            FieldError(
                location=location[0] if location else "body",
                field=".".join(location[1:]),
                message=str(error.get("msg", "invalid")),
                type=str(error.get("type", "value_error")),
            )
        )
    return errors


def unexpected_error_response(request: Request) -> Response:
    """The generic 500: nothing about the failure except the id under which it was logged."""
    return problem_response(
        request,
        status=500,
        code="internal_error",
        title="Internal server error",
        detail=f"An unexpected error occurred; quote request id {request_id(request)} to the administrator.",
        extensions={"request_id": request_id(request)},
    )


def _jsonable(extensions: dict[str, Any]) -> dict[str, Any]:
    reserved = {"type", "title", "status", "detail", "instance", "code"}
    return {
        key: value if isinstance(value, str | int | float | bool | None | list | dict) else str(value)
        for key, value in extensions.items()
        if key not in reserved
    }


def problem_responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """``responses=`` for a route: each status it may answer with a problem (OpenAPI shows them)."""
    return {
        status: {"model": ValidationProblem if status == 422 else Problem, "description": _DESCRIPTIONS.get(status, "")}
        for status in statuses
    }


_DESCRIPTIONS = {
    400: "Bad request, or a body that cannot be decoded",
    401: "Not logged in, or the session expired",
    403: "The staff role does not allow this",
    404: "No such object",
    409: "Conflicts with the current state",
    413: "The body is larger than this operation takes (its x-body-limit, else 1 MiB)",
    422: "The payload is not valid",
    429: "Too many attempts",
    503: "The database is unavailable; send the request again after Retry-After seconds",
}


def install(app: FastAPI) -> None:
    app.add_exception_handler(CivicIDError, civicid_error_handler)
    app.add_exception_handler(StarletteHTTPException, http_error_handler)
    app.add_exception_handler(RequestValidationError, validation_error_handler)
    app.add_exception_handler(DBAPIError, database_error_handler)
    app.add_exception_handler(PoolTimeout, database_error_handler)
