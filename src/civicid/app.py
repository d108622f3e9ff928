"""The app factory of the central server: one ASGI app with the API, the OpenAPI document and the pages.

``create_app`` takes an open :class:`Context`, so the same factory serves ``civicid serve``, the
demo and the tests (each with its own database and clock); nothing happens at import time.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any, TypeVar

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi
from fastapi.staticfiles import StaticFiles

from civicid import __version__
from civicid.accounts import pages as accounts_pages
from civicid.accounts import router as accounts_router
from civicid.campaign import pages as campaign_pages
from civicid.campaign import router as campaign_router
from civicid.campaign import team_pages as campaign_team_pages
from civicid.core.runtime import Context
from civicid.credentials import pages as credentials_pages
from civicid.credentials import router as credentials_router
from civicid.devices import router as devices_router
from civicid.enrollment import pages as enrollment_pages
from civicid.enrollment import router as enrollment_router
from civicid.enrollment.home import commune_glance
from civicid.enrollment.person_status import statuses_of
from civicid.enrollment.router import FOLLOW_LIMIT
from civicid.enrollment.runtime import build_pipeline
from civicid.fieldsync import router as field_router
from civicid.help import pages as help_pages
from civicid.idp import pages as idp_pages
from civicid.idp import router as idp_router
from civicid.notify import pages as notify_pages
from civicid.notify import router as notify_router
from civicid.plugins import Plugins, plugins_for
from civicid.registry import pages as registry_pages
from civicid.registry import router as registry_router
from civicid.signing import router as signing_router
from civicid.signing.router import VERIFY_LIMIT
from civicid.wallet import pages as wallet_pages
from civicid.wallet import router as wallet_router
from civicid.wallet import service as wallet_service
from civicid.web import api_reference, pages, problems, router, staff_pages
from civicid.web.edge import InputMiddleware
from civicid.web.middleware import EdgeMiddleware
from civicid.web.ratelimit import RateLimit
from civicid.web.templating import STATIC_DIR, build_environment

API_PREFIX = "/api/v1"
T = TypeVar("T")


def create_app(context: Context, plugins: Plugins | None = None) -> FastAPI:
    """The central server's app; ``plugins`` are the adapters chosen for the deployment (its settings' by default)."""
    plugins = plugins or plugins_for(context.settings)
    app = FastAPI(
        title="CivicID",
        version=__version__,
        summary="Electronic identity for door-to-door level-2 enrollment campaigns.",
        openapi_url="/openapi.json",
        # Swagger UI and ReDoc load their scripts from a CDN; kits and villages are offline (DESIGN.md 11).
        docs_url=None,
        redoc_url=None,
    )
    app.state.context = context
    app.state.plugins = plugins
    app.state.build_enrollment_pipeline = lambda: build_pipeline(context, plugins.extractors(), plugins.fingerprints())
    app.state.agencies = plugins.agencies()
    app.state.holder_arrival = wallet_service.holder_arrival(app.state.agencies)
    app.state.signing = once(plugins.signing)
    app.state.verify_pdf_limit = RateLimit(limit=VERIFY_LIMIT.limit, window=VERIFY_LIMIT.window)
    app.state.face_check = plugins.face_check()
    app.state.follow_limit = RateLimit(limit=FOLLOW_LIMIT.limit, window=FOLLOW_LIMIT.window)
    # What the person's page shows of the capabilities above the registry (registry/ports.py).
    app.state.person_panels = [accounts_pages.account_panel, accounts_pages.assisted_panel]
    app.state.person_statuses = statuses_of
    app.state.home_glance = commune_glance
    app.state.templates = build_environment()
    problems.install(app)
    app.add_middleware(InputMiddleware)  # inside the edge: its refusals get the edge's headers too
    app.add_middleware(EdgeMiddleware)
    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")
    # The citizen's app: its shell, manifest and service worker, and its own assets under its scope.
    app.mount(wallet_pages.STATIC_PATH.rstrip("/"), StaticFiles(directory=wallet_pages.STATIC_DIR), name="app-static")
    app.include_router(router.router, prefix=API_PREFIX)
    app.include_router(registry_router.router, prefix=f"{API_PREFIX}/registry")
    app.include_router(notify_router.router, prefix=f"{API_PREFIX}/notify")
    app.include_router(accounts_router.router, prefix=f"{API_PREFIX}/accounts")
    # The holder's wallet and e-ID card live under their account.
    app.include_router(wallet_router.router, prefix=f"{API_PREFIX}/accounts/me/wallet")
    app.include_router(wallet_router.card_router, prefix=f"{API_PREFIX}/accounts/me/card")
    app.include_router(credentials_router.holder_router, prefix=f"{API_PREFIX}/accounts/me/credentials")
    app.include_router(credentials_router.router, prefix=f"{API_PREFIX}/credentials")
    app.include_router(signing_router.router, prefix=f"{API_PREFIX}/signing")
    app.include_router(signing_router.pki_router, prefix="/pki")
    app.include_router(enrollment_router.router, prefix=f"{API_PREFIX}/enrollment")
    app.include_router(devices_router.router, prefix=f"{API_PREFIX}/enrollment")
    app.include_router(campaign_router.router, prefix=f"{API_PREFIX}/campaign")
    app.include_router(field_router.router, prefix=f"{API_PREFIX}/field")
    app.include_router(pages.router)
    app.include_router(staff_pages.router)
    app.include_router(api_reference.router)
    app.include_router(registry_pages.router, prefix="/registry")
    app.include_router(accounts_pages.router, prefix="/accounts")
    app.include_router(notify_pages.router, prefix="/notify")
    app.include_router(enrollment_pages.router, prefix="/enrollment")
    app.include_router(enrollment_pages.public_router)
    app.include_router(campaign_pages.router, prefix="/campaign")
    app.include_router(campaign_team_pages.router, prefix="/campaign")
    app.include_router(wallet_pages.router)
    app.include_router(credentials_pages.router)
    # The OpenID Connect provider: discovery at the root, the rest under /idp (decision 0044).
    app.include_router(idp_router.well_known)
    app.include_router(idp_router.router, prefix="/idp")
    app.include_router(idp_pages.router, prefix="/idp")
    app.mount(idp_pages.STATIC_PATH, StaticFiles(directory=idp_pages.STATIC_DIR), name="idp-static")
    app.include_router(help_pages.router, prefix="/help")
    app.mount(
        credentials_pages.STATIC_PATH.rstrip("/"),
        StaticFiles(directory=credentials_pages.STATIC_DIR),
        name="verify-static",
    )

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            app.openapi_schema = problem_openapi(
                get_openapi(title=app.title, version=app.version, summary=app.summary, routes=app.routes)
            )
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
    return app


def once(build: Callable[[], T]) -> Callable[[], T]:
    """``build`` run on first call only (thread-safe): the signing runtime opens the keystore or an HSM."""
    lock = threading.Lock()
    made: list[T] = []

    def get() -> T:
        with lock:
            if not made:
                made.append(build())
            return made[0]

    return get


#: A JSON Schema (ECMA-262) pattern for text without the control characters the edge refuses.
TEXT_PATTERN = "^[^\\u0000-\\u0008\\u000b\\u000c\\u000e-\\u001f\\u007f-\\u009f]*$"
CLEAN_JSON = "CleanJson"


def declare_text_rule(document: dict[str, Any]) -> None:
    """Say in the document what the edge refuses (``web/edge.py``): control characters in any text.

    Every string gets :data:`TEXT_PATTERN` (unless it has a pattern, an enum or a binary format of
    its own), every member name too, and the members an object does not name (which the server
    ignores) are any JSON without control characters (``CleanJson``).
    """
    schemas = document.setdefault("components", {}).setdefault("schemas", {})
    text = {"type": "string", "pattern": TEXT_PATTERN}
    clean = {"$ref": f"#/components/schemas/{CLEAN_JSON}"}
    schemas[CLEAN_JSON] = {
        "anyOf": [
            text,
            {"type": ["number", "boolean", "null"]},
            {"type": "array", "items": clean},
            {"type": "object", "propertyNames": text, "additionalProperties": clean},
        ]
    }

    def mark(node: Any) -> None:
        if isinstance(node, list):
            for item in node:
                mark(item)
            return
        if not isinstance(node, dict):
            return
        kind = node.get("type")
        if kind == "string" and not ({"pattern", "enum", "const"} & node.keys()) and node.get("format") != "binary":
            node["pattern"] = TEXT_PATTERN
        if kind == "object" or "properties" in node:
            node.setdefault("propertyNames", text)
            node.setdefault("additionalProperties", clean)
        for value in node.values():
            mark(value)

    # Only what clients send: answers are the server's own text, checked when it came in.
    inputs: list[Any] = []
    for operations in document.get("paths", {}).values():
        for operation in operations.values():
            inputs += [p.get("schema") for p in operation.get("parameters", [])]
            inputs += [c.get("schema") for c in operation.get("requestBody", {}).get("content", {}).values()]
    for name in sorted(_referenced(inputs, schemas)):
        mark(schemas[name])
    mark(inputs)


def _referenced(nodes: Any, schemas: dict[str, Any]) -> set[str]:
    """The component schemas that ``nodes`` name, directly or through one another."""
    found: set[str] = set()
    pending = [nodes]
    while pending:
        node = pending.pop()
        if isinstance(node, list):
            pending += node
        elif isinstance(node, dict):
            ref = node.get("$ref", "")
            name = ref.rsplit("/", 1)[-1] if ref.startswith("#/components/schemas/") else None
            if name is not None and name not in found and name != CLEAN_JSON:
                found.add(name)
                pending.append(schemas.get(name))
            pending += list(node.values())
    return found


def declare_edge_answers(operation: dict[str, Any]) -> None:
    """The answers any operation may get from the edge, whatever its route declares.

    422 for a control character in any query parameter (``web/edge.py``), 503 when the database does
    not answer (decision 0034), 401 for a caller who must log in first, 404 for a path parameter
    that names nothing; with a body, 400 for one that cannot be decoded and 413 past the route's
    limit.
    """
    statuses = [401, 422, 503] + ([400, 413] if "requestBody" in operation else [])
    if any(p.get("in") == "path" for p in operation.get("parameters", [])):
        statuses.append(404)  # a path that names nothing
    responses = operation.setdefault("responses", {})
    for status, declared in problems.problem_responses(*statuses).items():
        model = declared["model"]
        responses.setdefault(
            str(status),
            {
                "description": declared["description"],
                "content": {"application/json": {"schema": {"$ref": f"#/components/schemas/{model.__name__}"}}},
            },
        )


def problem_openapi(document: dict[str, Any]) -> dict[str, Any]:
    """Declare error responses as ``application/problem+json`` and 422s as :class:`ValidationProblem`.

    FastAPI documents every response as ``application/json`` and adds its own 422 schema; the server
    actually answers errors with RFC 9457 documents, so the OpenAPI document says so.
    """
    schemas = document.setdefault("components", {}).setdefault("schemas", {})
    for model in (problems.Problem, problems.FieldError, problems.ValidationProblem):
        schema = model.model_json_schema(ref_template="#/components/schemas/{model}")
        schemas.update(schema.pop("$defs", {}))
        schemas[model.__name__] = schema
    for name in ("HTTPValidationError", "ValidationError"):
        schemas.pop(name, None)
    validation_ref = "#/components/schemas/ValidationProblem"
    declare_text_rule(document)
    for operations in document.get("paths", {}).values():
        for operation in operations.values():
            declare_edge_answers(operation)
            for status, response in operation.get("responses", {}).items():
                if status[:1] not in {"4", "5"}:
                    continue
                content = response.setdefault("content", {})
                schema = content.pop("application/json", {}).get("schema", {"$ref": "#/components/schemas/Problem"})
                if status == "422":
                    schema = {"$ref": validation_ref}
                content[problems.PROBLEM_MEDIA_TYPE] = {"schema": schema}
    return document
