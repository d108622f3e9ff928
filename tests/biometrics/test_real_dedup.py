"""Real faces through the real kit and server: the same face under another ID number is caught.

The server and the kit use the deployment's real adapters (``Plugins`` without simulated
biometrics): dlib's face model, NBIS fingerprints, and the kit's ``CameraSource`` with its portrait
check. The fingers are synthetic prints from the simulated scanner (``sim/fingerprints.py``): no
real fingerprint may be used. Slow (dlib takes about half a second a portrait): few cases, marked.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import select
from tests.factories import (
    assigned,
    demo_commune,
    field_kit,
    kit_resident,
    portrait,
    run_jobs,
    synced,
    transformed,
    two_faces,
)
from tests.factories.kits import KIT_OPERATOR, KIT_SUPERVISOR
from tests.support.servers import LiveServer, live_server

from civicid.biometrics.finger_set import MissingReason
from civicid.biometrics.nbis_finger import nbis_available
from civicid.core.clock import FixedClock
from civicid.core.database import unit_of_work
from civicid.core.runtime import Context
from civicid.country.age import AgeGroup
from civicid.country.zone import TIME_ZONE
from civicid.enrollment.models import Application
from civicid.enrollment.runtime import build_pipeline
from civicid.enrollment.tasks import Pipeline
from civicid.field.capture import CaptureForm, capture_application
from civicid.field.errors import PortraitRefused
from civicid.field.kit import Kit
from civicid.field.models import KitOperator, KitPerson, OutboxItem
from civicid.field.outbox import Review
from civicid.field.review import review
from civicid.field.sources import CameraSource, join_fingerprint_images
from civicid.plugins import Plugins
from civicid.protocol.codes import ApplicationStatus
from civicid.protocol.packet import ApplicationType
from civicid.registry import service as registry
from civicid.sim.fingerprints import impression

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not nbis_available(), reason="nbis-py has no wheel for this platform"),
]


@pytest.fixture
def real(context: Context) -> Context:
    """The test's deployment with the real biometrics: what ``civicid serve`` runs by default."""
    settings = context.settings.model_copy(update={"simulated_biometrics": False})
    return Context(settings=settings, database=context.database, clock=context.clock)


@pytest.fixture
def plugins(real: Context) -> Plugins:
    plugins = Plugins(real.settings)
    assert not {"biometric_extractors", "capture_source"} & set(plugins.simulated)
    return plugins


@pytest.fixture
def commune(real: Context) -> str:
    return demo_commune(real, people=300)


@pytest.fixture
def pipeline(real: Context, plugins: Plugins, commune: str) -> Pipeline:
    return build_pipeline(real, plugins.extractors(), plugins.fingerprints())


@pytest.fixture
def server(real: Context, commune: str) -> Iterator[LiveServer]:
    with live_server(real) as running:
        yield running


@pytest.fixture
def kit(real: Context, commune: str, server: LiveServer, tmp_path: Path, clock: FixedClock) -> Iterator[Kit]:
    kit_clock = FixedClock(clock.now(), zone=TIME_ZONE)
    with unit_of_work(real.database.sessions) as session:
        village = registry.list_villages(session=session, commune_code=commune)[0]
    kit = synced(
        assigned(real, field_kit(real, tmp_path / "kit", kit_clock, commune, server.url), [village.id]),
        kit_clock,
        server.url,
    )
    yield kit
    kit.close()


def _capture(
    kit: Kit, clock: FixedClock, person: KitPerson, face: bytes, fingers: tuple[int, ...] = (), touch: int = 1
) -> str:
    """The operator captures ``person`` with that photo and those synthetic fingers (their ``touch``-th
    impression), the other fingers recorded as worn; the supervisor approves."""
    prints = join_fingerprint_images(impression(finger, touch) for finger in fingers)
    form = CaptureForm(
        person_id=person.id,
        application_type=ApplicationType.LEVEL2,
        operator=KIT_OPERATOR,
        portrait=face,
        fingerprint_images=prints or None,
        missing_fingers=MissingReason.WORN,
    )
    with kit.transaction() as session:
        item = capture_application(kit=kit, session=session, clock=clock, form=form, source=CameraSource())
        supervisor = session.get(KitOperator, KIT_SUPERVISOR)
        assert supervisor is not None
        review(
            kit=kit,
            session=session,
            clock=clock,
            supervisor=supervisor,
            application_id=item.application_id,
            decision=Review.APPROVE,
        )
        return item.application_id


def _status(context: Context, application_id: str) -> tuple[ApplicationStatus, str | None]:
    with unit_of_work(context.database.sessions) as session:
        row = session.execute(
            select(Application.status, Application.duplicate_of).where(Application.id == application_id)
        ).one()
        return row[0], row[1]


def test_the_same_face_under_another_id_number_is_flagged_and_a_different_face_is_not(
    real: Context, kit: Kit, server: LiveServer, pipeline: Pipeline, clock: FixedClock
) -> None:
    today = clock.today()
    first, second, third = (kit_resident(kit, today, AgeGroup.FROM_14, skip=i) for i in range(3))
    # Person A enrolls with one photo and two fingers (the other eight worn).
    a = _capture(kit, clock, first, portrait("obama-1"), fingers=(101, 102))
    synced(kit, clock, server.url)
    run_jobs(real, pipeline)
    assert _status(real, a)[0] is ApplicationStatus.AWAITING_APPROVAL

    # The same face, another photo of it, under person B's ID number; the same fingers, touched again.
    b = _capture(kit, clock, second, portrait("obama-2"), fingers=(101, 102), touch=2)
    # A different real face under person C's ID number, with other fingers.
    c = _capture(kit, clock, third, transformed("biden", "crop"), fingers=(103, 104))
    synced(kit, clock, server.url)
    run_jobs(real, pipeline)

    assert _status(real, b) == (ApplicationStatus.REJECTED_DUPLICATE, a)
    assert _status(real, c) == (ApplicationStatus.AWAITING_APPROVAL, None)
    with unit_of_work(real.database.sessions) as session:
        # Both modalities agree on B: the face above duplicate_at, a finger at NIST's match threshold or above.
        assert pipeline.biometrics.compare(session, a, b, "face") >= 0.93  # type: ignore[operator]
        assert pipeline.biometrics.compare(session, a, b, "finger") >= 40  # type: ignore[operator]
        assert pipeline.biometrics.compare(session, a, c, "face") < 0.88  # type: ignore[operator]


def test_the_kit_refuses_a_portrait_it_cannot_use_and_says_why(kit: Kit, clock: FixedClock) -> None:
    person = kit_resident(kit, clock.today(), AgeGroup.FROM_14)
    for photo, problem in [
        (portrait("no-face"), "no_face"),
        (two_faces(), "several_faces"),
        (transformed("obama-1", "blur"), "blurred"),
    ]:
        with pytest.raises(PortraitRefused) as refused:
            _capture(kit, clock, person, photo)
        assert refused.value.extensions["problems"] == [problem]
    with kit.transaction() as session:
        assert session.scalars(select(OutboxItem)).all() == []  # nothing sealed, nothing saved
