"""A human-readable API reference, drawn on the server from the app's own OpenAPI document.

Swagger UI and ReDoc load their scripts from a CDN, which kits and offline offices cannot reach
(DESIGN.md 11), so the app serves neither (``app.py``: ``docs_url=None``). This page reads
``app.openapi()`` (OpenAPI 3.1) and shows each operation, grouped by its first tag: method, path,
summary and description (as written, in English), parameters, the request body's media type and
schema name, and the responses it declares. No script, nothing from elsewhere; the page's own words
follow the reader's language. Programs read ``/openapi.json``, linked from the page.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from fastapi import APIRouter, Request
from starlette.responses import Response

from civicid.web.roles import Principal
from civicid.web.templating import render

router = APIRouter(include_in_schema=False)
METHODS = ("get", "post", "put", "patch", "delete")
UNTAGGED = ""
_REF_PREFIX = "#/components/schemas/"


@dataclass(frozen=True)
class Parameter:
    name: str
    where: str  # path, query, header or cookie (OpenAPI 3.1 §4.8.12)
    required: bool
    schema: str
    description: str


@dataclass(frozen=True)
class Answer:
    status: str
    description: str
    media_type: str | None
    schema: str | None


@dataclass(frozen=True)
class Operation:
    method: str
    path: str
    anchor: str
    summary: str
    paragraphs: list[str]
    parameters: list[Parameter]
    body_media_type: str | None
    body_schema: str | None
    body_required: bool
    answers: list[Answer]


@dataclass(frozen=True)
class Tag:
    name: str
    operations: list[Operation]


def schema_name(schema: dict[str, Any] | None) -> str:
    """A schema in a few words: its component's name, ``array of X``, ``X or null``, or its type."""
    if not schema:
        return "any"
    if "$ref" in schema:
        # FastAPI names a component ``civicid__web__schemas__LoginIn`` when two models share a name.
        return str(schema["$ref"]).removeprefix(_REF_PREFIX).rsplit("__", 1)[-1]
    for combined in ("anyOf", "oneOf", "allOf"):
        if combined in schema:
            return " or ".join(dict.fromkeys(schema_name(part) for part in schema[combined]))
    kind = schema.get("type", "any")
    if isinstance(kind, list):
        return " or ".join(str(k) for k in kind)
    if kind == "array":
        return f"array of {schema_name(schema.get('items'))}"
    if "format" in schema:
        return f"{kind} ({schema['format']})"
    return str(kind)


def paragraphs(text: str) -> list[str]:
    """A docstring's paragraphs, each on one line: its line breaks only wrapped the source code."""
    return [" ".join(block.split()) for block in re.split(r"\n\s*\n", text) if block.strip()]


def _content(content: dict[str, Any] | None) -> tuple[str | None, str | None]:
    """The first media type of a body or response and its schema's name."""
    for media_type, media in (content or {}).items():
        return media_type, schema_name(media.get("schema"))
    return None, None


def _operation(method: str, path: str, spec: dict[str, Any]) -> Operation:
    body = spec.get("requestBody") or {}
    body_media_type, body_schema = _content(body.get("content"))
    parameters = [
        Parameter(
            name=str(p.get("name", "")),
            where=str(p.get("in", "")),
            required=bool(p.get("required", False)),
            schema=schema_name(p.get("schema")),
            description=str(p.get("description", "")),
        )
        for p in spec.get("parameters", [])
    ]
    answers = [
        Answer(str(status), str(answer.get("description", "")), *_content(answer.get("content")))
        for status, answer in sorted(spec.get("responses", {}).items())
    ]
    return Operation(
        method=method.upper(),
        path=path,
        anchor=str(spec.get("operationId") or f"{method}-{path}"),
        summary=str(spec.get("summary", "")),
        paragraphs=paragraphs(str(spec.get("description", ""))),
        parameters=parameters,
        body_media_type=body_media_type,
        body_schema=body_schema,
        body_required=bool(body.get("required", False)),
        answers=answers,
    )


def reference(document: dict[str, Any]) -> list[Tag]:
    """The document's operations grouped by their first tag (tags in alphabetical order, untagged
    last), each group in the document's order of paths."""
    groups: dict[str, list[Operation]] = {}
    for path, item in document.get("paths", {}).items():
        for method in METHODS:
            if method in item:
                tags = item[method].get("tags") or [UNTAGGED]
                groups.setdefault(str(tags[0]), []).append(_operation(method, path, item[method]))
    order = sorted(groups, key=lambda name: (name == UNTAGGED, name))
    return [Tag(name, groups[name]) for name in order]


@router.get("/api-reference")
def api_reference_page(request: Request, principal: Principal) -> Response:
    """Every operation of the API, grouped by tag, for people; ``/openapi.json`` is for programs."""
    document = request.app.openapi()
    tags = reference(document)
    values = {"info": document.get("info", {}), "tags": tags, "count": sum(len(t.operations) for t in tags)}
    return render(request, "api_reference.html", values, principal=principal)


__all__ = ["paragraphs", "reference", "router", "schema_name"]
