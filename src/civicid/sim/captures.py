"""Simulated field captures: a kit with its own key, and packets for the registry's people.

A capture carries simulated biometrics (``biometrics.simulated``): the face and finger "images" name
an identity seed, which is the person's registry id, and a capture seed, so the same person
captured twice gives two close templates. An impostor enrolling twice under two ID numbers is a
capture of the impostor's identity seed sent with someone else's data (``--inject-duplicates``).
Portraits are small SVG drawings whose colours come from the identity, so a supervisor comparing
two records side by side sees the same face for the same identity.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Sequence
from dataclasses import dataclass

from cryptography.hazmat.primitives.asymmetric.ec import EllipticCurvePrivateKey
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PublicKey
from sqlalchemy.orm import Session

from civicid.biometrics.simulated import drawn_portrait, simulated_capture
from civicid.core.audit import Actor
from civicid.core.blobs import BlobStore
from civicid.core.clock import Clock
from civicid.core.crypto.signing import generate_signing_key, public_jwk
from civicid.core.ids import uuid7
from civicid.country.zone import TIME_ZONE
from civicid.devices import service as devices
from civicid.enrollment import intake
from civicid.protocol.packet import (
    ApplicationType,
    Capture,
    Document,
    Packet,
    PartIn,
    PartKind,
    build_packet,
    parts_to_send_inline,
)
from civicid.registry.schemas import PersonRead
from civicid.sim.agencies import tk01_documents

CHUNK_BYTES = 16 * 1024


@dataclass(frozen=True)
class SimulatedKit:
    device_id: str
    key: EllipticCurvePrivateKey
    commune_code: str
    operator: str

    @classmethod
    def register(
        cls, *, session: Session, clock: Clock, actor: Actor, commune_code: str, operator: str
    ) -> SimulatedKit:
        key = generate_signing_key()
        device = devices.register_device(
            session=session, clock=clock, actor=actor, commune_code=commune_code, public_jwk=public_jwk(key)
        )
        return cls(device_id=device.id, key=key, commune_code=commune_code, operator=operator)

    def capture(
        self,
        *,
        person: PersonRead,
        clock: Clock,
        server_public_key: X25519PublicKey,
        application_type: ApplicationType = ApplicationType.LEVEL2,
        capture_seed: int = 1,
        identity_seed: int | None = None,
        guardian_id_number: str | None = None,
        phone: str | None = None,
        documents: Sequence[Document] = (),
    ) -> Packet:
        """A packet for ``person``; ``identity_seed`` other than theirs makes an impostor's capture."""
        identity = person.id if identity_seed is None else identity_seed
        capture = Capture(
            application_id=str(uuid7(int(clock.now().timestamp() * 1000))),
            application_type=application_type,
            id_number=person.id_number,
            full_name=person.full_name,
            date_of_birth=person.date_of_birth,
            sex=person.sex,
            phone=phone if phone is not None else person.phone,
            guardian_id_number=guardian_id_number,
            documents=tuple(documents),
            commune_code=self.commune_code,
            village_id=person.village_id,
            household_id=person.household_id,
            operator=self.operator,
            device_id=self.device_id,
            captured_at=clock.now(),
        )
        parts: dict[str, PartIn] = {}
        if application_type is not ApplicationType.CHILD_CARD:
            parts["face"] = PartIn(PartKind.FACE_TEMPLATE, simulated_capture(identity, capture_seed, "face"), 0)
            parts["fingers"] = PartIn(PartKind.FINGER_TEMPLATES, simulated_capture(identity, capture_seed, "finger"), 0)
            parts["portrait"] = PartIn(PartKind.PORTRAIT, portrait_svg(identity), 0)
        return build_packet(capture=capture, parts=parts, device_key=self.key, server_public_key=server_public_key)


def deliver(
    *,
    session: Session,
    clock: Clock,
    blobs: BlobStore,
    packet: Packet,
    chunk_bytes: int = CHUNK_BYTES,
    inline_bytes: int = CHUNK_BYTES,
) -> intake.Receipt:
    """Upload a packet as a kit would online: the envelope with the small first parts inline, the rest in chunks.

    ``inline_bytes=0`` sends every part in chunks, as a kit did before parts could come inline.
    """
    sizes = [(ref.name, ref.priority, ref.size) for ref in packet.envelope.manifest]
    inline = {name: packet.sealed_parts[name] for name in parts_to_send_inline(sizes, inline_bytes)}
    receipt = intake.receive_envelope(
        session=session, clock=clock, blobs=blobs, envelope_jws=packet.envelope_jws, parts=inline
    )
    for name, data in packet.sealed_parts.items():
        if name in inline:
            continue
        for offset in range(0, len(data), chunk_bytes):
            chunk = data[offset : offset + chunk_bytes]
            receipt = intake.receive_chunk(
                session=session,
                clock=clock,
                blobs=blobs,
                application_id=packet.envelope.application_id,
                part_name=name,
                offset=offset,
                data=chunk,
                sha256=hashlib.sha256(chunk).hexdigest(),
            )
    return receipt


def sample_documents(person: PersonRead, today: dt.date | None = None) -> tuple[Document, ...]:
    """The documents an adult lists on form TK01: those the simulated agencies hold (``sim/agencies.py``)."""
    if person.age_group != "14_plus":
        return ()
    return tk01_documents(person.id_number, person.date_of_birth, today)


def portrait_svg(identity_seed: int) -> bytes:
    """A small drawn face whose colours and features follow the identity (not a photo of anyone)."""
    return drawn_portrait(identity_seed)


def capture_time(day: dt.date, minute: int) -> dt.datetime:
    """A capture time during a working day in the commune (from 07:30, Vietnam time)."""
    start = dt.datetime.combine(day, dt.time(7, 30), tzinfo=TIME_ZONE)
    return (start + dt.timedelta(minutes=minute)).astimezone(dt.UTC)
