"""Simulated field work on a real kit: captures of the people its extract says still need level 2.

``civicid field capture --from-sim N`` and the demo use it; so do the chaos test and the 2G
benchmark. Captures go through the kit's real capture path (guard-rails, sealing, outbox), with
simulated biometrics (``field/sources.py``) and a portrait that is either the simulator's small SVG
or, with ``photos=True``, a camera-sized JPEG photo the kit compresses like any other.
"""

from __future__ import annotations

import io
import random
from collections.abc import Callable
from dataclasses import dataclass

from PIL import Image, ImageDraw, ImageFilter
from sqlalchemy import select
from sqlalchemy.orm import Session

from civicid.core.clock import Clock
from civicid.country.age import AgeGroup, age_group
from civicid.field.capture import CaptureForm, capture_application
from civicid.field.kit import Kit
from civicid.field.models import KitOperator, KitPerson, OperatorRole, OutboxItem
from civicid.field.outbox import Review
from civicid.field.review import review
from civicid.field.sources import BiometricSource, SimulatedSource
from civicid.protocol.packet import ApplicationType
from civicid.sim.agencies import tk01_documents
from civicid.sim.captures import portrait_svg


@dataclass(frozen=True)
class SimulatedDay:
    captured: list[str]
    approved: int


def capture_from_sim(
    *,
    kit: Kit,
    clock: Clock,
    count: int,
    operator: str = "sim-operator",
    supervisor: str | None = "sim-supervisor",
    photos: bool = False,
    seed: int = 0,
    source: BiometricSource | None = None,
    portrait_of: Callable[[int], bytes] | None = None,
    fingerprint_images: bytes | None = None,
) -> SimulatedDay:
    """Capture up to ``count`` adults of the kit's extract who have no application yet; approve them.

    Each lists on form TK01 the documents the simulated agencies hold for them (``sim/agencies.py``),
    a few with a key field wrong on purpose; ``seed`` is kept for the callers' rounds and varies nothing.
    ``source``, ``portrait_of`` (the i-th capture's photo) and ``fingerprint_images`` replace the
    simulated biometrics, for benchmarks of real captures (``bench/field_sync.py --real``).
    """
    captured: list[str] = []
    with kit.transaction() as session:
        taken = set(session.scalars(select(OutboxItem.person_id)))
        candidates = [
            p
            for p in session.scalars(select(KitPerson).order_by(KitPerson.id))
            if p.id not in taken
            and p.enrollment_status is None
            and age_group(p.date_of_birth, clock.today()) is AgeGroup.FROM_14
        ]
    for index, person in enumerate(candidates[:count]):
        if portrait_of is not None:
            portrait = portrait_of(index)
        else:
            portrait = synthetic_photo(person.id) if photos else portrait_svg(person.id)
        with kit.transaction() as session:
            form = CaptureForm(
                person_id=person.id,
                application_type=ApplicationType.LEVEL2,
                operator=operator,
                phone=person.phone,
                documents=tk01_documents(person.id_number, person.date_of_birth, clock.today()),
                portrait=portrait,
                fingerprint_images=fingerprint_images,
            )
            item = capture_application(
                kit=kit, session=session, clock=clock, form=form, source=source or SimulatedSource()
            )
            captured.append(item.application_id)
    approved = 0
    if supervisor is not None and captured:
        with kit.transaction() as session:
            checker = _sim_supervisor(session, supervisor)
            for application_id in captured:
                review(
                    kit=kit,
                    session=session,
                    clock=clock,
                    supervisor=checker,
                    application_id=application_id,
                    decision=Review.APPROVE,
                )
                approved += 1
    return SimulatedDay(captured=captured, approved=approved)


def synthetic_photo(identity_seed: int, size: tuple[int, int] = (1200, 1600)) -> bytes:
    """A camera-sized JPEG "photo" (not of anyone): a drawn face on a soft background, with sensor noise."""
    rng = random.Random(identity_seed)
    width, height = size
    picture = Image.new("RGB", size, (200 + rng.randrange(40), 210 + rng.randrange(30), 220))
    draw = ImageDraw.Draw(picture)
    skin = (190 + rng.randrange(50), 150 + rng.randrange(40), 120 + rng.randrange(30))
    draw.rectangle((width * 0.15, height * 0.75, width * 0.85, height), fill=(rng.randrange(255), 60, 90))
    draw.ellipse((width * 0.25, height * 0.2, width * 0.75, height * 0.75), fill=skin)
    draw.pieslice((width * 0.22, height * 0.12, width * 0.78, height * 0.5), 180, 360, fill=(30, 20, 15))
    for eye in (0.4, 0.6):
        draw.ellipse((width * eye - 20, height * 0.45 - 12, width * eye + 20, height * 0.45 + 12), fill=(25, 25, 25))
    draw.arc((width * 0.4, height * 0.55, width * 0.6, height * 0.65), 0, 180, fill=(120, 40, 40), width=8)
    noise = Image.effect_noise(size, 18).convert("RGB")
    picture = Image.blend(picture.filter(ImageFilter.GaussianBlur(3)), noise, 0.06)
    out = io.BytesIO()
    picture.save(out, format="JPEG", quality=92)
    return out.getvalue()


def _sim_supervisor(session: Session, username: str) -> KitOperator:
    """The simulated supervisor; "!" is no Argon2 hash, so nobody can log in as them."""
    checker = session.get(KitOperator, username)
    if checker is None:
        checker = KitOperator(
            username=username,
            full_name="Simulated supervisor",
            role=OperatorRole.SUPERVISOR,
            password_hash="!",  # noqa: S106 - not a hash: no password opens it
            failed_logins=0,
        )
        session.add(checker)
    return checker
