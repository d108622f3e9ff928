"""A live central server on a loopback port, and kits that talk to it over real HTTP."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx

from civicid.app import create_app
from civicid.core.audit import Actor
from civicid.core.clock import Clock
from civicid.core.database import unit_of_work
from civicid.core.runtime import Context
from civicid.devices import enrollment_file
from civicid.enrollment.runtime import keystore_of
from civicid.field import setup
from civicid.field.kit import Kit
from civicid.field.models import OperatorRole
from civicid.field.operators import add_operator
from civicid.web.serving import ServerThread

ADMIN = Actor("system", "tests")
OPERATOR, SUPERVISOR = "op-lan", "sup-hoa"
PASSWORD = "kit-password-1"


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


def kit_from_enrollment_file(context: Context, root: Path, clock: Clock, commune_code: str, server_url: str) -> Kit:
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
    setup.enroll_from_file(root=root, clock=clock, data=content, passphrase=passphrase)
    kit = Kit.open(root)
    with kit.transaction() as session:
        add_operator(
            session=session, username=OPERATOR, full_name="Lò Thị Lan", role=OperatorRole.OPERATOR, password=PASSWORD
        )
        add_operator(
            session=session,
            username=SUPERVISOR,
            full_name="Vàng A Hoà",
            role=OperatorRole.SUPERVISOR,
            password=PASSWORD,
        )
    return kit


def client_for(url: str) -> httpx.Client:
    return httpx.Client(base_url=url, timeout=httpx.Timeout(20, connect=5))
