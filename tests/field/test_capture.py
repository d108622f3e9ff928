"""A capture is sealed and on disk before "saved"; a stolen kit reveals no biometrics and no personal data;
guard-rails refuse."""

from __future__ import annotations

import datetime as dt
import shutil
import sqlite3
from pathlib import Path

import pytest
from sqlalchemy import select
from tests.factories import KIT_OPERATOR, KIT_SUPERVISOR, synced
from tests.support.servers import LiveServer

from civicid.biometrics.simulated import simulated_capture
from civicid.core.clock import FixedClock
from civicid.field.capture import CaptureForm, capture_application
from civicid.field.errors import CaptureRefused, InvalidCapture, OperatorLoginFailed
from civicid.field.kit import Kit
from civicid.field.models import KitIdentity, KitPerson, OutboxPart
from civicid.field.sources import SimulatedSource
from civicid.field.unlock import KitLogin
from civicid.protocol.packet import ApplicationType
from civicid.sim.field import synthetic_photo

from .conftest import MakeKit

# What is checked here happens on the kit; the server's database is only where the kit came from.
pytestmark = pytest.mark.parametrize("database", ["sqlite"], indirect=True)


@pytest.fixture
def kit(make_kit: MakeKit, villages: list[int], kit_clock: FixedClock, server: LiveServer) -> Kit:
    kit = make_kit("a", villages=villages[:1])
    synced(kit, kit_clock, server.url)
    return kit


def an_adult(kit: Kit, clock: FixedClock) -> KitPerson:
    adult_born_before = clock.today() - dt.timedelta(days=20 * 366)
    with kit.transaction() as session:
        person = session.scalars(select(KitPerson).where(KitPerson.date_of_birth < adult_born_before)).first()
        assert person is not None
        return person


def capture(kit: Kit, clock: FixedClock, person: KitPerson, portrait: bytes | None) -> str:
    form = CaptureForm(
        person_id=person.id, application_type=ApplicationType.LEVEL2, operator=KIT_OPERATOR, portrait=portrait
    )
    with kit.transaction() as session:
        item = capture_application(kit=kit, session=session, clock=clock, form=form, source=SimulatedSource())
        return item.application_id


def every_byte_on_the_kit(root: Path) -> bytes:
    return b"".join(path.read_bytes() for path in root.rglob("*") if path.is_file())


def test_a_stolen_kit_holds_no_biometrics_in_clear(kit: Kit, kit_clock: FixedClock) -> None:
    person = an_adult(kit, kit_clock)
    photo = synthetic_photo(person.id)
    application_id = capture(kit, kit_clock, person, photo)
    everything = every_byte_on_the_kit(kit.root)
    assert photo[1000:1064] not in everything  # the original photo
    assert simulated_capture(person.id, 1, "face") not in everything  # what the face template is made from
    assert simulated_capture(person.id, 1, "finger") not in everything
    with kit.transaction() as session:
        parts = {p.name: p.priority for p in session.scalars(select(OutboxPart))}
    assert parts == {"face": 0, "fingers": 0, "portrait": 0, "portrait_full": 1}
    assert all(kit.sealed_path(application_id, name).exists() for name in parts)


def test_a_stolen_kit_yields_no_name_id_number_birth_date_or_phone(
    kit: Kit, kit_clock: FixedClock, tmp_path: Path
) -> None:
    person = an_adult(kit, kit_clock)
    capture(kit, kit_clock, person, synthetic_photo(person.id))
    with kit.transaction() as session:
        people = list(session.scalars(select(KitPerson)))
    assert len(people) > 100  # the down-synced extract of the village is on the kit
    stolen = tmp_path / "stolen"
    shutil.copytree(kit.root, stolen)  # the thief copies the folder, the kit still running

    everything = every_byte_on_the_kit(stolen)
    for resident in people:
        for secret in (resident.full_name, resident.id_number, resident.date_of_birth.isoformat(), resident.phone):
            assert not secret or secret.encode() not in everything, "personal data in clear on a stolen kit"
    assert not (stolen / "master.key").exists()  # no key lies beside what it protects
    with pytest.raises(sqlite3.DatabaseError):
        sqlite3.connect(stolen / "kit.db").execute("SELECT full_name FROM kit_person").fetchall()
    with pytest.raises(OperatorLoginFailed):
        Kit.open(stolen, KitLogin(KIT_SUPERVISOR, "a-good-guess-1"))
    with pytest.raises(OperatorLoginFailed):
        Kit.open(stolen, KitLogin("no-such-operator", "a-good-guess-1"))


def test_the_portrait_that_travels_first_is_small(kit: Kit, kit_clock: FixedClock) -> None:
    person = an_adult(kit, kit_clock)
    capture(kit, kit_clock, person, synthetic_photo(person.id))
    with kit.transaction() as session:
        sizes = {p.name: p.size for p in session.scalars(select(OutboxPart))}
    assert sizes["portrait"] < 30_000 < sizes["portrait_full"]


def test_a_level2_capture_needs_a_portrait(kit: Kit, kit_clock: FixedClock) -> None:
    with pytest.raises(InvalidCapture, match="portrait"):
        capture(kit, kit_clock, an_adult(kit, kit_clock), None)


def test_a_picture_that_is_not_one_is_refused(kit: Kit, kit_clock: FixedClock) -> None:
    with pytest.raises(InvalidCapture, match="not a JPEG"):
        capture(kit, kit_clock, an_adult(kit, kit_clock), b"\x89PNG but not really")


def test_no_capture_after_too_many_days_without_sync(kit: Kit, kit_clock: FixedClock) -> None:
    kit_clock.advance(dt.timedelta(days=4))
    with pytest.raises(CaptureRefused, match="No sync for 4 days"):
        capture(kit, kit_clock, an_adult(kit, kit_clock), b"<svg ></svg>")


def test_no_capture_with_a_clock_set_back_before_the_servers_time(kit: Kit, kit_clock: FixedClock) -> None:
    kit_clock.advance(dt.timedelta(hours=-2))
    with pytest.raises(CaptureRefused, match="behind the server's"):
        capture(kit, kit_clock, an_adult(kit, kit_clock), b"<svg ></svg>")


def test_no_capture_beyond_the_unsent_limit(kit: Kit, kit_clock: FixedClock) -> None:
    with kit.transaction() as session:
        identity = session.get(KitIdentity, 1)
        assert identity is not None
        identity.guardrails = {"max_unsent_captures": 1}
    capture(kit, kit_clock, an_adult(kit, kit_clock), b"<svg ></svg>")
    with pytest.raises(CaptureRefused, match="1 captures are not on the server yet"):
        capture(kit, kit_clock, an_adult(kit, kit_clock), b"<svg ></svg>")
