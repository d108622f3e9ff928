"""Serving an ASGI app under uvicorn: the settings every CivicID server shares, and a server in a thread.

The central server's start-up (app, worker) is composed in ``civicid/server.py``; the kit, the tests
and the benchmarks run their apps through :class:`ServerThread`.
"""

from __future__ import annotations

import gc
import socket
import threading
import time

import uvicorn
from starlette.types import ASGIApp

# Field kits on 2G reuse their connection between requests that are seconds apart; uvicorn's default
# of 5 s would close it under them (a request then meets a closed connection). 75 s, as nginx.
KEEP_ALIVE_S = 75


def freeze_startup_objects() -> None:
    """Move everything allocated so far into the collector's permanent generation (``gc.freeze``).

    The app's modules, routes, models and templates live as long as the process; left in the
    collector's reach, every full collection walks them all: a 200 ms pause every eighth view of
    the commune dashboard under load, which made its p95 (docs/benchmarks.md). Call it once, when
    the app is built and before it serves.
    """
    gc.collect()
    gc.freeze()


class ServerThread:
    """An ASGI app under uvicorn in a background thread, on a loopback port (tests, benchmarks, the kit).

    ``start`` returns once uvicorn listens; ``stop`` asks it to finish its requests and waits.
    """

    def __init__(self, app: ASGIApp, *, host: str = "127.0.0.1", port: int = 0) -> None:
        self.app, self.host, self.port = app, host, port or free_port(host)
        self._server: uvicorn.Server | None = None
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def start(self, timeout_s: float = 20) -> None:
        config = uvicorn.Config(
            self.app,
            host=self.host,
            port=self.port,
            log_level="warning",
            access_log=False,
            timeout_keep_alive=KEEP_ALIVE_S,
        )
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(target=self._server.run, name="civicid-server", daemon=True)
        self._thread.start()
        deadline = time.monotonic() + timeout_s
        while not self._server.started:
            if time.monotonic() > deadline or not self._thread.is_alive():
                raise RuntimeError(f"the server did not start on {self.url}")
            time.sleep(0.02)

    def stop(self) -> None:
        if self._server is not None and self._thread is not None:
            self._server.should_exit = True
            self._thread.join(timeout=15)
        self._server = self._thread = None


def free_port(host: str = "127.0.0.1") -> int:
    with socket.socket() as probe:
        probe.bind((host, 0))
        return int(probe.getsockname()[1])
