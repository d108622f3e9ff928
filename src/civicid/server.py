"""The long-running processes: the central server, its pipeline worker, and a field kit's pages.

The embedded default is one process (DESIGN.md "The processes"): ``civicid serve`` runs the API and
pages with the pipeline worker in a thread; ``civicid worker`` runs more workers beside it when a
deployment needs them; ``civicid field serve`` runs a kit's operator pages on 127.0.0.1. Each is
composed here from the capabilities and the adapters the deployment chose (``plugins.py``).
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import typer
import uvicorn
from sqlalchemy.orm import Session

from civicid.accounts import tasks as accounts_tasks
from civicid.app import create_app, once
from civicid.core.clock import Clock
from civicid.core.console import DataOption, command_clock, command_context, console, tell
from civicid.core.jobs import Handler
from civicid.core.runtime import Context
from civicid.core.settings import Settings, load_settings
from civicid.credentials import tasks as credentials_tasks
from civicid.enrollment.runtime import build_pipeline
from civicid.enrollment.worker import BackgroundWorker
from civicid.field.app import create_kit_app
from civicid.field.cli import KitOption, KitUserOption, open_kit
from civicid.plugins import Plugins, plugins_for
from civicid.signing import tasks as signing_tasks
from civicid.wallet import tasks as wallet_tasks
from civicid.web.serving import KEEP_ALIVE_S, freeze_startup_objects

OnceOption = typer.Option(False, "--once", help="Run what is ready, then exit (instead of polling for ever).")
SimulatedBiometricsOption = typer.Option(
    False,
    "--simulated-biometrics",
    help="The simulator's biometrics instead of the real face model and fingerprint matcher (demos and tests only).",
)


def chosen_plugins(settings: Settings, *, simulated_biometrics: bool = False) -> Plugins:
    """The deployment's adapters; ``simulated_biometrics`` (a flag, or the setting) picks the simulator's."""
    if simulated_biometrics:
        settings = settings.model_copy(update={"simulated_biometrics": True})
    return plugins_for(settings)


def background_worker(context: Context, plugins: Plugins) -> BackgroundWorker:
    """The pipeline and SMS worker of a deployment, with its chosen extractors, carrier and agencies."""
    pipeline = build_pipeline(context, plugins.extractors(), plugins.fingerprints())
    handlers = merged_handlers(
        accounts_tasks.HANDLERS,
        wallet_tasks.handlers(plugins.agencies()),
        credentials_tasks.HANDLERS,
        signing_tasks.handlers(once(plugins.signing)),
    )
    return BackgroundWorker(context, pipeline, plugins.sms_gateway(context.clock), handlers=handlers)


def merged_handlers(*groups: Mapping[str, Handler]) -> dict[str, Handler]:
    """One handler per job kind: where several capabilities follow the same event (``accounts.status_changed``:
    credentials and signing), each runs in turn, in the job's one transaction."""
    by_kind: dict[str, list[Handler]] = {}
    for group in groups:
        for kind, handler in group.items():
            by_kind.setdefault(kind, []).append(handler)
    return {kind: handlers[0] if len(handlers) == 1 else _in_turn(handlers) for kind, handlers in by_kind.items()}


def _in_turn(handlers: list[Handler]) -> Handler:
    def run(session: Session, clock: Clock, subject_id: str) -> None:
        for handler in handlers:
            handler(session, clock, subject_id)

    return run


def run_server(
    context: Context,
    *,
    host: str,
    port: int,
    worker: bool = True,
    demo: bool = False,
    simulated_biometrics: bool = False,
) -> None:
    """Serve until stopped. ``demo`` is the demo's server: its simulated SMS gateway page shows the codes,
    and its residents' drawn portraits are read by the simulated biometrics."""
    plugins = chosen_plugins(context.settings, simulated_biometrics=simulated_biometrics or demo)
    background = background_worker(context, plugins) if worker else None
    if background is not None:
        background.start()
    try:
        # No access log: request lines carry query strings, and a search query is a person's name or
        # ID number. Personal data never goes to logs (DESIGN.md decision 10).
        app = create_app(context, plugins)
        app.state.demo_reveals_sms_codes = demo
        freeze_startup_objects()
        uvicorn.run(
            app,
            host=host,
            port=port,
            proxy_headers=True,
            server_header=False,
            access_log=False,
            timeout_keep_alive=KEEP_ALIVE_S,
        )
    finally:
        if background is not None:
            background.stop()


def serve(
    host: str = typer.Option("127.0.0.1", "--host", help="Address to listen on; 0.0.0.0 exposes the server."),
    port: int = typer.Option(8000, "--port", help="TCP port to listen on."),
    data: Path | None = DataOption,
    simulated_biometrics: bool = SimulatedBiometricsOption,
) -> None:
    """Open the deployment (applying pending migrations) and serve the API and pages with uvicorn."""
    context = command_context(data)
    try:
        run_server(context, host=host, port=port, simulated_biometrics=simulated_biometrics)
    finally:
        context.database.close()


def worker(
    once: bool = OnceOption, data: Path | None = DataOption, simulated_biometrics: bool = SimulatedBiometricsOption
) -> None:
    """Run the enrollment pipeline and the SMS outbox (the server runs one in-process already)."""
    context = command_context(data)
    background = background_worker(context, chosen_plugins(context.settings, simulated_biometrics=simulated_biometrics))
    if once:
        while background.round():
            pass
        return
    console.print("worker running; Ctrl-C stops it")
    try:
        background.run()
    except KeyboardInterrupt:
        background.stop()


def serve_kit(
    data: Path = KitOption,
    user: str | None = KitUserOption,
    port: int = typer.Option(8100, "--port", min=1, max=65535, help="The port on 127.0.0.1."),
    sync_every: float = typer.Option(
        60, "--sync-every", min=0, help="Seconds between checks whether a sync is due; 0 turns automatic sync off."
    ),
    simulated_biometrics: bool = SimulatedBiometricsOption,
) -> None:
    """Serve the operator's pages on 127.0.0.1 (never on the network), syncing in the background when due."""
    kit = open_kit(data, user)
    source = chosen_plugins(load_settings(), simulated_biometrics=simulated_biometrics).capture_source()
    app = create_kit_app(kit, command_clock(), source=source, auto_sync_every=sync_every or None)
    tell(f"kit pages on http://127.0.0.1:{port}/")
    # No access log: request lines name households and persons (DESIGN.md decision 10).
    uvicorn.run(app, host="127.0.0.1", port=port, server_header=False, access_log=False)
