"""Input at the edge: what every request must be before any router reads it (issue 18, items 1 and 10).

One pure ASGI middleware, in front of every route, the API's and the pages':

- **Control characters.** A NUL in a name reached PostgreSQL and came back as a 500 (PostgreSQL
  refuses NUL in text), and on SQLite it was stored and sent back raw in a page. No text the server
  takes has a use for C0/C1 control characters but tab, line feed and carriage return, so the path,
  every query parameter, every form field and every JSON string are checked here, once, and a
  request carrying one is a 422 ``validation_error`` naming where. JSON escapes are checked on the
  raw body (an escape is a backslash preceded by an even number of backslashes), and the document
  is parsed only to name the member when there is one.
- **Body size.** Each route takes at most its declared limit (``web/routes.py``, 1 MiB unless the
  route says otherwise): a larger ``Content-Length`` is refused before anything is read, and a body
  that streams past it is cut off there. Both are a 413 ``payload_too_large`` problem.
- **OPTIONS** answers 204 with every method the path takes in ``Allow`` (RFC 9110 §9.3.7).

Bodies that are not text (PDFs, sealed packet chunks, uploads) are counted, not read here.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any
from urllib.parse import parse_qsl

from starlette.datastructures import Headers
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from civicid.core.inputs import has_control_characters
from civicid.web.problems import FieldError, InputRefused, validation_problem
from civicid.web.routes import allowed_methods, route_body_limit

BODY_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
# A JSON escape of a control character (but \t \n \r, which text may hold), preceded by an even
# number of backslashes (so that it is an escape, not an escaped backslash followed by "u00…").
# DEL and the C1 controls are valid JSON unescaped, so their raw bytes (UTF-8) count as well.
_JSON_CONTROL_ESCAPE = re.compile(
    rb"(?<!\\)(?:\\\\)*\\u00(?:[01][0-8bBcCeEfF]|1[0-9a-fA-F]|7[fF]|[89][0-9a-fA-F])|\x7f|\xc2[\x80-\x9f]"
)
CONTROL_MESSAGE = "control characters (such as NUL) are not allowed"


class InputMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        if scope["method"] == "OPTIONS":
            methods = allowed_methods(scope)
            if methods:
                await Response(status_code=204, headers={"Allow": ", ".join(methods)})(scope, receive, send)
                return
        refusal = url_refusal(scope)
        if refusal is not None:
            await refusal(scope, receive, send)
            return
        await self.app(scope, checked_body(scope, receive), send)


def url_refusal(scope: Scope) -> Response | None:
    """A 422 for a control character in the path or in a query parameter's name or value."""
    if has_control_characters(scope["path"]):
        return invalid(
            scope, [FieldError(location="path", field="", message=CONTROL_MESSAGE, type="control_character")]
        )
    query = scope.get("query_string", b"").decode("latin-1")
    for name, value in parse_qsl(query, keep_blank_values=True, errors="replace"):
        if has_control_characters(name) or has_control_characters(value):
            field = name if not has_control_characters(name) else ""
            return invalid(
                scope, [FieldError(location="query", field=field, message=CONTROL_MESSAGE, type="control_character")]
            )
    return None


def checked_body(scope: Scope, receive: Receive) -> Receive:
    """``receive``, checked when the app first reads the body: the router has chosen the route by then.

    A text body is read whole (up to the route's limit), checked, and handed on in one piece; any
    other body is counted as it streams.
    """
    received = 0
    text: bytes | None = None

    async def checked() -> Message:
        nonlocal received, text
        limit = route_body_limit(scope)
        if received == 0 and text is None:
            headers = Headers(scope=scope)
            declared = headers.get("content-length", "")
            if declared.isdigit() and int(declared) > limit:
                raise too_large(limit)
            if is_text(media_type(headers)):
                text = await read_whole(receive, limit)
                check_text(media_type(headers), text)
                received = len(text)
                return {"type": "http.request", "body": text, "more_body": False}
        message = await receive()
        if message["type"] == "http.request":
            received += len(message.get("body", b""))
            if received > limit:
                raise too_large(limit)
        return message

    return checked


async def read_whole(receive: Receive, limit: int) -> bytes:
    body = bytearray()
    more = True
    while more:
        message = await receive()
        if message["type"] != "http.request":
            break  # The client went away; the app meets the disconnect on its next read.
        body += message.get("body", b"")
        more = bool(message.get("more_body", False))
        if len(body) > limit:
            raise too_large(limit)
    return bytes(body)


def media_type(headers: Headers) -> str:
    return headers.get("content-type", "").partition(";")[0].strip().lower()


def check_text(media_type: str, body: bytes) -> None:
    errors = text_errors(media_type, body)
    if errors:
        raise InputRefused(422, "; ".join(f"{e.field or e.location}: {e.message}" for e in errors), errors)


def is_text(media_type: str) -> bool:
    return media_type in {"application/json", "application/x-www-form-urlencoded"} or media_type.endswith("+json")


def text_errors(media_type: str, body: bytes) -> list[FieldError]:
    """Where the body carries a control character in its text (empty when nowhere)."""
    if media_type == "application/x-www-form-urlencoded":
        text = body.decode("latin-1")
        for name, value in parse_qsl(text, keep_blank_values=True, errors="replace"):
            if has_control_characters(name) or has_control_characters(value):
                field = "" if has_control_characters(name) else name
                return [FieldError(location="body", field=field, message=CONTROL_MESSAGE, type="control_character")]
        return []
    if _JSON_CONTROL_ESCAPE.search(body) is None:
        return []
    return [FieldError(location="body", field=json_member(body), message=CONTROL_MESSAGE, type="control_character")]


def json_member(body: bytes) -> str:
    """The dotted path of the first JSON string (or member name) holding a control character."""
    try:
        document = json.loads(body)
    except ValueError:
        return ""
    return next(_paths_with_control(document, ()), "")


def _paths_with_control(value: Any, path: tuple[str, ...]) -> Iterator[str]:
    if isinstance(value, str) and has_control_characters(value):
        yield ".".join(path)
    elif isinstance(value, dict):
        for key, member in value.items():
            if has_control_characters(key):
                yield ".".join(path)
            yield from _paths_with_control(member, (*path, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _paths_with_control(item, (*path, str(index)))


def too_large(limit: int) -> InputRefused:
    return InputRefused(413, f"the body holds at most {limit} bytes")


def invalid(scope: Scope, errors: list[FieldError]) -> Response:
    return validation_problem(Request(scope), errors)
