"""Servers on loopback ports for tests that go over real HTTP: the central server, a kit's pages."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
from starlette.types import ASGIApp

from civicid.app import create_app
from civicid.core.clock import Clock
from civicid.core.runtime import Context, open_context
from civicid.core.settings import Settings
from civicid.web.serving import ServerThread


class LiveServer(ServerThread):
    """The central server for ``context`` on a loopback port; it can be stopped and another started."""

    def __init__(self, context: Context) -> None:
        super().__init__(create_app(context))
        self.context = context


@contextmanager
def live_server(context: Context) -> Iterator[LiveServer]:
    server = LiveServer(context)
    server.start()
    try:
        yield server
    finally:
        server.stop()


@contextmanager
def serving(app: ASGIApp) -> Iterator[str]:
    """``app`` under uvicorn on a loopback port, in a thread, for as long as the block runs; its URL."""
    server = ServerThread(app)
    server.start()
    try:
        yield server.url
    finally:
        server.stop()


def client_for(url: str) -> httpx.Client:
    """A client of the server at ``url``, with the timeouts a kit uses on a poor link."""
    return httpx.Client(base_url=url, timeout=httpx.Timeout(20, connect=5))


def deployment(root: Path, clock: Clock) -> Context:
    """A deployment of the central server in a folder of its own, on its embedded SQLite database."""
    return open_context(Settings(data_dir=root / "server-data", simulated_biometrics=True), clock=clock)
