"""A capture is sealed and on disk before "saved"; a stolen kit reveals no biometrics; guard-rails refuse."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from sqlalchemy import select
from tests.factories import KIT_OPERATOR, synced
from tests.support.servers import LiveServer

from civicid.biometrics.simulated import simulated_capture
from civicid.core.clock import FixedClock
from civicid.field.capture import CaptureForm, capture_application
from civicid.field.errors import CaptureRefused, InvalidCapture
from civicid.field.kit import Kit
from civicid.field.models import KitIdentity, KitPerson, OutboxPart
from civicid.field.sources import SimulatedSource
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
