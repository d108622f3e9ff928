"""The adjudication page shows the fingerprint 1:1 of the two applications, or says why it cannot."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from httpx import AsyncClient
from tests.factories import PeopleOf, captured_packet, delivered, log_in

from civicid.biometrics.nbis_finger import nbis_available
from civicid.biometrics.simulated import simulated_capture
from civicid.core.database import unit_of_work
from civicid.core.runtime import Context
from civicid.enrollment import pages
from civicid.enrollment.models import Application
from civicid.enrollment.runtime import keystore_of
from civicid.field.sources import join_fingerprint_images
from civicid.protocol.codes import ApplicationStatus
from civicid.protocol.packet import PRIORITY_LATER, Capture, PartIn, PartKind, build_packet
from civicid.registry.schemas import PersonRead
from civicid.sim.captures import SimulatedKit, portrait_svg
from civicid.sim.enrollment import review_band_seed
from civicid.sim.fingerprints import impression

pytestmark = pytest.mark.anyio
FINGERS = 2


@pytest.fixture
def client(client: AsyncClient, commune: str) -> AsyncClient:
    """The client, once the demo commune and its staff logins are in."""
    return client


Capturer = Callable[..., str]


@pytest.fixture
def captured(context: Context, run_pipeline: Callable[[], int], kit: SimulatedKit) -> Capturer:
    """Like the kit's capture, with the scanner's ``fingerprint_images`` part when ``prints`` is set."""

    def capture(person: PersonRead, *, identity: int, capture_seed: int, prints: bool) -> str:
        plain = captured_packet(context, kit, person)
        parts = {
            "face": PartIn(PartKind.FACE_TEMPLATE, simulated_capture(identity, capture_seed, "face"), 0),
            "fingers": PartIn(PartKind.FINGER_TEMPLATES, simulated_capture(identity, capture_seed, "finger"), 0),
            "portrait": PartIn(PartKind.PORTRAIT, portrait_svg(identity), 0),
        }
        if prints:
            images = [impression(identity * 10 + finger, capture_seed) for finger in range(FINGERS)]
            parts["prints"] = PartIn(PartKind.FINGERPRINT_IMAGES, join_fingerprint_images(images), PRIORITY_LATER)
        packet = build_packet(
            capture=Capture(**plain.envelope.model_dump(exclude={"manifest"})),
            parts=parts,
            device_key=kit.key,
            server_public_key=keystore_of(context).sealing_public_key(),
        )
        delivered(context, packet)
        run_pipeline()
        return packet.envelope.application_id

    return capture


def _suspected_duplicate(context: Context, captured: Capturer, people: PeopleOf, *, genuine_prints: bool = True) -> str:
    """Someone enrolls again under another person's record, with their own face and fingers.

    The second capture's face scores in the review band: the pipeline asks a supervisor to adjudicate.
    """
    first, second = people("14_plus", 2)
    genuine = captured(first, identity=first.id, capture_seed=1, prints=genuine_prints)
    impostor = captured(second, identity=first.id, capture_seed=review_band_seed(first.id, 1), prints=True)
    with unit_of_work(context.database.sessions) as session:
        application = session.get(Application, impostor)
        assert application is not None
        assert (application.status, application.duplicate_of) == (ApplicationStatus.SUSPECTED_DUPLICATE, genuine)
    return impostor


async def _adjudication_page(
    client: AsyncClient,
    context: Context,
    captured: Capturer,
    persons: PeopleOf,
    lang: str,
    *,
    genuine_prints: bool = True,
) -> str:
    impostor = _suspected_duplicate(context, captured, persons, genuine_prints=genuine_prints)
    await log_in(client, "supervisor")
    page = await client.get(f"/enrollment/applications/{impostor}?lang={lang}")
    assert page.status_code == 200
    return page.text


@pytest.mark.skipif(not nbis_available(), reason="the fingerprint extra (nbis-py) is not installed")
async def test_same_fingers_match(
    client: AsyncClient,
    context: Context,
    captured: Capturer,
    people: PeopleOf,
) -> None:
    text = await _adjudication_page(client, context, captured, people, "en")
    assert "Fingerprint images, 1:1 between the two records" in text
    assert "the prints match" in text
    assert "Finger 1:" in text
    assert f"Finger {FINGERS}:" in text
    assert "nist-nbis-mindtct-bozorth3" in text


async def test_not_available_without_the_matcher(
    client: AsyncClient,
    context: Context,
    captured: Capturer,
    people: PeopleOf,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(pages, "installed_verifier", lambda: None)
    text = await _adjudication_page(client, context, captured, people, "en")
    assert "Fingerprint 1:1 not available" in text
    assert "not installed on this server" in text


async def test_not_available_without_images_on_both_sides(
    client: AsyncClient,
    context: Context,
    captured: Capturer,
    people: PeopleOf,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(pages, "installed_verifier", lambda: object())  # never reached: images come first
    text = await _adjudication_page(client, context, captured, people, "vi", genuine_prints=False)
    assert "Không có so khớp vân tay 1:1" in text
    assert "không có ảnh vân tay của cả hai hồ sơ" in text
