"""Serving a deployment: the ASGI app under uvicorn, with the pipeline worker in a thread.

The embedded default is one process (DESIGN.md "The processes"); ``civicid worker`` runs more
workers beside it when a deployment needs them.
"""

from __future__ import annotations

import uvicorn

from civicid.core.runtime import Context
from civicid.enrollment.worker import BackgroundWorker
from civicid.web.app import create_app


def run_server(context: Context, *, host: str, port: int, worker: bool = True) -> None:
    background = BackgroundWorker(context) if worker else None
    if background is not None:
        background.start()
    try:
        # No access log: request lines carry query strings, and a search query is a person's name or
        # ID number. Personal data never goes to logs (DESIGN.md decision 10).
        uvicorn.run(
            create_app(context), host=host, port=port, proxy_headers=True, server_header=False, access_log=False
        )
    finally:
        if background is not None:
            background.stop()
