"""A central server with a small demo commune and a kit synced against it, for the kit's page tests.

Building the demo commune and syncing the kit takes seconds, so it is done once per module
(:func:`synced_kit`) and each test works on a copy of the kit's folder (:func:`copy_kit`): the copy
has the same device key and the same extract, and whatever a test captures stays in its copy.
The server runs on SQLite: these tests are about the kit's pages, not the server's storage.
"""

from __future__ import annotations

import datetime as dt
import shutil
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
from sqlalchemy import select
from starlette.types import ASGIApp

from civicid.campaign.assignments import assign_villages_to_kit
from civicid.core.clock import Clock
from civicid.core.database import unit_of_work
from civicid.core.runtime import Context, open_context
from civicid.core.settings import Settings
from civicid.country.age import AgeGroup, age_group
from civicid.field.kit import Kit
from civicid.field.models import KitIdentity, KitPerson
from civicid.field.sync import KitSync
from civicid.registry import service as registry
from civicid.sim.demo import build_demo
from civicid.web.serving import ServerThread

from .support import ADMIN, kit_from_enrollment_file

DEMO_PEOPLE = 300


def central_context(root: Path, clock: Clock) -> tuple[Context, str]:
    """A server database with the demo commune (two villages)."""
    context = open_context(Settings(data_dir=root / "server-data"), clock=clock)
    return context, build_demo(context=context, people=DEMO_PEOPLE).commune_code


def synced_kit(
    root: Path, context: Context, commune: str, server_url: str, client: Callable[[], httpx.Client], clock: Clock
) -> Path:
    """A kit enrolled from a file, assigned the commune's first village, synced once; its folder."""
    kit = kit_from_enrollment_file(context, root / "kit", clock, commune, server_url)
    with kit.transaction() as session:
        identity = session.get(KitIdentity, 1)
        assert identity is not None
        device_id = identity.device_id
    today = context.clock.today()
    with unit_of_work(context.database.sessions) as session:
        village = registry.list_villages(session=session, commune_code=commune)[0]
        assign_villages_to_kit(
            session=session,
            clock=context.clock,
            actor=ADMIN,
            device_id=device_id,
            village_ids=[village.id],
            start=today,
            end=today + dt.timedelta(days=30),
        )
    with client() as http:
        report = KitSync(kit=kit, clock=clock, client=http).run()
    assert report.complete, report.errors
    kit.close()
    return root / "kit"


def copy_kit(template: Path, target: Path) -> Kit:
    shutil.copytree(template, target)
    return Kit.open(target)


def person_of_age(kit: Kit, today: dt.date, group: AgeGroup, *, skip: int = 0) -> KitPerson:
    """A resident of the kit's extract in ``group`` with no enrollment yet (the ``skip``-th one)."""
    with kit.transaction() as session:
        people = [
            p
            for p in session.scalars(select(KitPerson).order_by(KitPerson.id))
            if p.enrollment_status is None and age_group(p.date_of_birth, today) is group
        ]
    return people[skip]


@contextmanager
def serving(app: ASGIApp) -> Iterator[str]:
    """``app`` under uvicorn on a loopback port, in a thread, for as long as the block runs; its URL."""
    server = ServerThread(app)
    server.start()
    try:
        yield server.url
    finally:
        server.stop()
