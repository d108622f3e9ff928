"""The kit's own web app: the operator's pages on 127.0.0.1 (``civicid field serve``).

It is built from the central server's web toolkit, not a copy of it: the same Jinja environment and
layout (``web/templating.py``, ``web/templates/base.html``), the same Vietnamese/English catalogues
(the kit's strings in ``field/translations``), the same edge middleware (CSP without inline code,
same-origin form posts, no-store on pages) and the same readable error pages (``web/problems.py``).
Everything it serves comes from the package itself: it works with no network at all.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from pathlib import Path

import httpx
from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles

from civicid import __version__
from civicid.core.clock import Clock
from civicid.field import pages
from civicid.field.kit import Kit
from civicid.field.pagedeps import KitWeb
from civicid.field.sources import BiometricSource
from civicid.field.syncing import SyncRunner, default_client_factory
from civicid.web import problems
from civicid.web.middleware import EdgeMiddleware
from civicid.web.templating import STATIC_DIR, build_environment

KIT_STATIC_DIR = Path(__file__).resolve().parent / "static"


def create_kit_app(
    kit: Kit,
    clock: Clock,
    *,
    source: BiometricSource,
    server_client: Callable[[], httpx.Client] | None = None,
    auto_sync_every: float | None = None,
) -> FastAPI:
    """The operator's pages for ``kit``; with ``auto_sync_every`` (seconds) a thread syncs when due.

    ``source`` is the composition's choice (``plugins.py``): the camera and scanner, or, said
    explicitly by the demo and the tests, the simulator's.
    """
    runner = SyncRunner(kit=kit, clock=clock, client_factory=server_client or default_client_factory(kit))

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        if auto_sync_every:
            runner.start(auto_sync_every)
        try:
            yield
        finally:
            runner.stop()

    app = FastAPI(
        title="CivicID field kit",
        version=__version__,
        openapi_url=None,
        docs_url=None,
        redoc_url=None,
        lifespan=lifespan,
    )
    app.state.kit_web = KitWeb(kit=kit, clock=clock, source=source, sync=runner)
    app.state.templates = build_environment()
    problems.install(app)
    app.add_middleware(EdgeMiddleware)
    # The kit's own script and styles first: "/static" would otherwise answer for them.
    app.mount("/static/kit", StaticFiles(directory=KIT_STATIC_DIR), name="kit-static")
    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")
    app.include_router(pages.router)
    return app
