"""Setting a kit up online with an administrator's login, or offline from an enrollment file."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from tests.factories import ADMIN, KIT_LOGIN
from tests.support.servers import LiveServer, client_for

from civicid.core.clock import FixedClock
from civicid.core.crypto.signing import public_jwk
from civicid.core.database import unit_of_work
from civicid.core.runtime import Context
from civicid.devices import enrollment_file
from civicid.devices import service as devices
from civicid.enrollment.runtime import keystore_of
from civicid.field import setup
from civicid.field.errors import KitAlreadyInitialised, KitNotInitialised, ServerUnreachable
from civicid.field.kit import Kit
from civicid.protocol.enrollment_file import sealing_key_text
from civicid.protocol.errors import InvalidEnrollmentFile
from civicid.sim.demo import DEMO_LOGINS

ADMIN_LOGIN = next(login for login in DEMO_LOGINS if login.username == "admin")
SUPERVISOR = setup.FirstSupervisor(KIT_LOGIN, "Vàng A Hoà")


def registered_key(context: Context, device_id: str) -> dict[str, str]:
    with unit_of_work(context.database.sessions) as session:
        return public_jwk(devices.get_device(session=session, device_id=device_id).public_key())


def test_online_set_up_registers_the_kits_own_key(
    context: Context, commune: str, server: LiveServer, tmp_path: Path, kit_clock: FixedClock
) -> None:
    with client_for(server.url) as client:
        enrollment = setup.enroll_online(
            root=tmp_path / "kit",
            clock=kit_clock,
            client=client,
            commune_code=commune,
            username=ADMIN_LOGIN.username,
            password=ADMIN_LOGIN.password,
            supervisor=SUPERVISOR,
        )
    kit = Kit.open(tmp_path / "kit", KIT_LOGIN)
    assert registered_key(context, enrollment.device_id) == public_jwk(kit.device_key())
    assert enrollment.sealing_key == sealing_key_text(keystore_of(context).sealing_public_key())


def test_online_set_up_with_a_wrong_password_registers_nothing(
    context: Context, commune: str, server: LiveServer, tmp_path: Path, kit_clock: FixedClock
) -> None:
    with client_for(server.url) as client, pytest.raises(ServerUnreachable, match="401"):
        setup.enroll_online(
            root=tmp_path / "kit",
            clock=kit_clock,
            client=client,
            commune_code=commune,
            username="admin",
            password="x",
            supervisor=SUPERVISOR,
        )
    with unit_of_work(context.database.sessions) as session:
        assert devices.list_devices(session=session) == []


def test_an_enrollment_file_opens_only_with_its_passphrase(
    context: Context, commune: str, tmp_path: Path, kit_clock: FixedClock
) -> None:
    with unit_of_work(context.database.sessions) as session:
        content, passphrase, device_id = enrollment_file.make_enrollment_file(
            session=session,
            clock=context.clock,
            actor=ADMIN,
            commune_code=commune,
            server_url="http://server.invalid",
            sealing_key=keystore_of(context).sealing_public_key(),
        )
    assert b"PRIVATE KEY" not in content
    with pytest.raises(InvalidEnrollmentFile, match="passphrase"):
        setup.enroll_from_file(
            root=tmp_path / "kit", clock=kit_clock, data=content, passphrase="0000-0000-0000", supervisor=SUPERVISOR
        )
    enrollment = setup.enroll_from_file(
        root=tmp_path / "kit", clock=kit_clock, data=content, passphrase=passphrase, supervisor=SUPERVISOR
    )
    assert enrollment.device_id == device_id
    assert registered_key(context, device_id) == public_jwk(Kit.open(tmp_path / "kit", KIT_LOGIN).device_key())
    with pytest.raises(KitAlreadyInitialised):
        setup.enroll_from_file(
            root=tmp_path / "kit", clock=kit_clock, data=content, passphrase=passphrase, supervisor=SUPERVISOR
        )


def test_a_damaged_enrollment_file_is_named_as_such(tmp_path: Path, kit_clock: FixedClock) -> None:
    with pytest.raises(InvalidEnrollmentFile, match="damaged"):
        setup.enroll_from_file(
            root=tmp_path / "kit", clock=kit_clock, data=b"{not json", passphrase="x", supervisor=SUPERVISOR
        )


def test_a_kit_of_the_old_unencrypted_schema_is_refused_with_what_to_do(tmp_path: Path) -> None:
    old = tmp_path / "old-kit"
    old.mkdir()
    sqlite3.connect(old / "kit.db").execute("CREATE TABLE kit_identity (id INTEGER)").connection.commit()
    with pytest.raises(KitNotInitialised, match="schema version 1"):
        Kit.check_folder(old)
