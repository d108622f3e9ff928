"""Field kits: the simulator's kit that captures packets, and real kits set up from an enrollment file.

A :class:`SimulatedKit` is a registered device key that builds packets for registry people (the
server's view of a kit). A :class:`Kit` is the real kit software in a folder, set up the offline way,
with an operator and a supervisor who can log in on it, and assigned villages by the committee.
"""

from __future__ import annotations

import datetime as dt
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import select
from tests.support.servers import LiveServer, client_for, deployment, live_server

from civicid.core.clock import Clock
from civicid.core.database import unit_of_work
from civicid.core.runtime import Context
from civicid.country.age import AgeGroup, age_group
from civicid.devices import enrollment_file
from civicid.enrollment import intake
from civicid.enrollment.runtime import blobs_of, keystore_of
from civicid.field import setup
from civicid.field.kit import Kit
from civicid.field.models import KitIdentity, KitPerson, OperatorRole
from civicid.field.operators import add_operator
from civicid.field.sync import KitSync
from civicid.field.unlock import KitLogin
from civicid.protocol.packet import Packet
from civicid.registry import service as registry
from civicid.registry.schemas import PersonRead
from civicid.sim.captures import SimulatedKit, deliver

from .actors import ADMIN
from .campaign import kit_sent_to
from .registry import demo_commune

KIT_OPERATOR, KIT_SUPERVISOR = "op-lan", "sup-hoa"
KIT_PASSWORD = "kit-password-1"
# Who opens the test kits (their password unwraps the kit's store key, decision 0068).
KIT_LOGIN = KitLogin(KIT_SUPERVISOR, KIT_PASSWORD)


# The server's view: a registered key that captures packets -----------------------------------------


def registered_kit(context: Context, commune_code: str, operator: str = "operator") -> SimulatedKit:
    """A kit registered for the commune by an administrator; ``operator`` is who captures with it."""
    with unit_of_work(context.database.sessions) as session:
        return SimulatedKit.register(
            session=session, clock=context.clock, actor=ADMIN, commune_code=commune_code, operator=operator
        )


def captured_packet(
    context: Context, kit: SimulatedKit, person: PersonRead, *, clock: Clock | None = None, **options: object
) -> Packet:
    """The packet the kit seals to the server for ``person`` (``options`` as ``SimulatedKit.capture`` takes)."""
    server = keystore_of(context).sealing_public_key()
    return kit.capture(person=person, clock=clock or context.clock, server_public_key=server, **options)  # type: ignore[arg-type]


def delivered(context: Context, packet: Packet) -> intake.Receipt:
    """The packet uploaded as a kit online does it (envelope, then chunks), in one transaction."""
    with unit_of_work(context.database.sessions) as session:
        return deliver(session=session, clock=context.clock, blobs=blobs_of(context), packet=packet)


# The real kit software ------------------------------------------------------------------------------


def field_kit(context: Context, root: Path, clock: Clock, commune_code: str, server_url: str) -> Kit:
    """A kit set up the offline way, with an operator and a supervisor who can log in on it."""
    with unit_of_work(context.database.sessions) as session:
        content, passphrase, _ = enrollment_file.make_enrollment_file(
            session=session,
            clock=context.clock,
            actor=ADMIN,
            commune_code=commune_code,
            server_url=server_url,
            sealing_key=keystore_of(context).sealing_public_key(),
        )
    supervisor = setup.FirstSupervisor(KIT_LOGIN, "Vàng A Hoà")
    setup.enroll_from_file(root=root, clock=clock, data=content, passphrase=passphrase, supervisor=supervisor)
    kit = Kit.open(root, KIT_LOGIN)
    with kit.transaction() as session:
        add_operator(
            kit=kit,
            session=session,
            username=KIT_OPERATOR,
            full_name="Lò Thị Lan",
            role=OperatorRole.OPERATOR,
            password=KIT_PASSWORD,
        )
    return kit


def device_of(kit: Kit) -> str:
    with kit.transaction() as session:
        identity = session.get(KitIdentity, 1)
        assert identity is not None
        return identity.device_id


def assigned(
    context: Context, kit: Kit, village_ids: list[int], *, start: dt.date | None = None, days: int = 30
) -> Kit:
    """The kit, assigned those villages from ``start`` (today on the server's clock) for ``days`` days."""
    first = start or context.clock.today()
    kit_sent_to(context, device_of(kit), village_ids, first, first + dt.timedelta(days=days), actor=ADMIN)
    return kit


def synced(kit: Kit, clock: Clock, server_url: str, **options: object) -> Kit:
    """The kit after a complete sync with the server at ``server_url`` (``options`` as ``KitSync`` takes)."""
    with client_for(server_url) as client:
        report = KitSync(kit=kit, clock=clock, client=client, **options).run()  # type: ignore[arg-type]
    assert report.complete, report.errors
    return kit


def synced_kit(context: Context, root: Path, clock: Clock, commune_code: str, server_url: str) -> Path:
    """A kit set up from a file, assigned the commune's first village, synced once and closed; its folder."""
    kit = field_kit(context, root, clock, commune_code, server_url)
    with unit_of_work(context.database.sessions) as session:
        village = registry.list_villages(session=session, commune_code=commune_code)[0]
    synced(assigned(context, kit, [village.id]), clock, server_url).close()
    return root


@contextmanager
def synced_kit_template(root: Path, clock: Clock) -> Iterator[tuple[LiveServer, Path]]:
    """A central server (a deployment of its own with a demo commune of 300) and a kit synced against it once.

    The kit's folder is a template: tests open copies of it (``copied_kit``). The server stops with the block.
    """
    context = deployment(root / "central", clock)
    try:
        with live_server(context) as server:
            commune = demo_commune(context, people=300)
            yield server, synced_kit(context, root / "kit", clock, commune, server.url)
    finally:
        context.database.close()


@contextmanager
def copied_kit(template: Path, target: Path) -> Iterator[Kit]:
    """A copy of a kit's folder, open for the block: same device key, same extract; captures stay in the copy."""
    shutil.copytree(template, target)
    kit = Kit.open(target, KIT_LOGIN)
    try:
        yield kit
    finally:
        kit.close()


def kit_resident(kit: Kit, today: dt.date, group: AgeGroup, *, skip: int = 0) -> KitPerson:
    """A resident of the kit's extract in ``group`` with no enrollment yet (the ``skip``-th one)."""
    with kit.transaction() as session:
        people = [
            p
            for p in session.scalars(select(KitPerson).order_by(KitPerson.id))
            if p.enrollment_status is None and age_group(p.date_of_birth, today) is group
        ]
    return people[skip]
