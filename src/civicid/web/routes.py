"""Questions about the app's route table that the edge asks before a router runs.

- which methods a path answers (``Allow``, RFC 9110 §10.2.1), for OPTIONS and every 405: Starlette
  names only the first route it met for that path, and a path served by a GET route and a POST
  route then read as if it took GET alone;
- how large a body a route takes (413 beyond): each route may declare its own limit with
  :func:`body_limit`; every other route takes :data:`DEFAULT_BODY_LIMIT`.
"""

from __future__ import annotations

from typing import Any

from starlette.routing import BaseRoute, Match
from starlette.types import Scope

KIB = 1024
MIB = 1024 * KIB
#: Enough for any form or JSON document of the API but the few routes that carry images or PDFs.
DEFAULT_BODY_LIMIT = 1 * MIB
BODY_LIMIT_KEY = "x-body-limit"


def body_limit(limit: int, **openapi_extra: Any) -> dict[str, Any]:
    """``openapi_extra=`` for a route whose body may be larger (or must be smaller) than the default.

    The limit is shown in the OpenAPI document as the operation's ``x-body-limit`` (bytes).
    """
    return {**openapi_extra, BODY_LIMIT_KEY: limit}


#: The methods a route may take; HEAD comes with GET.
METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE")


def allowed_methods(scope: Scope) -> list[str]:
    """Every method some route answers at this path, OPTIONS included; empty when no route has the path.

    Asked of the router itself (each method tried in turn), so that included routers, mounts and
    their prefixes are matched exactly as a request would be.
    """
    app = scope.get("app")
    routes: list[BaseRoute] = list(getattr(app, "routes", []))
    methods = {
        method
        for method in METHODS
        if any(route.matches({**scope, "method": method})[0] == Match.FULL for route in routes)
    }
    if not methods:
        return []
    if "GET" in methods:
        methods.add("HEAD")
    return sorted(methods | {"OPTIONS"})


def route_body_limit(scope: Scope) -> int:
    """The body limit of the route the router chose for this request (it sets ``scope["route"]``)."""
    extra = getattr(scope.get("route"), "openapi_extra", None) or {}
    limit = extra.get(BODY_LIMIT_KEY)
    return limit if isinstance(limit, int) else DEFAULT_BODY_LIMIT
