"""Whatever the network does to the deliveries of a packet, intake ends in one and the same state.

A kit on a bad link sends the envelope and each chunk, perhaps several times, in any order, possibly
in two chunk sizes (it restarted a part with smaller chunks), and perhaps the envelope with every
part inline as well (decision 0030). Hypothesis draws such a sequence — a
permutation of a multiset of deliveries of a few packets — and each example checks the end state
against what the packets declare. Each example captures fresh packets (new UUIDv7 application ids),
so the examples share one SQLite database without seeing one another.
"""

from __future__ import annotations

import hashlib

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select
from tests.factories import PeopleOf, captured_packet, small_commune

from civicid.core.database import unit_of_work
from civicid.core.jobs import Job
from civicid.core.runtime import Context
from civicid.enrollment import intake
from civicid.enrollment.models import Application, ApplicationEvent, ApplicationPart
from civicid.enrollment.runtime import blobs_of
from civicid.protocol.packet import Packet
from civicid.sim.captures import SimulatedKit

PACKETS = 2
CHUNK_SIZES = (90, 128, 600)  # the sealed parts are ~140 and ~530 bytes long

# (packet index, part name or None for the envelope, offset, chunk size)
Delivery = tuple[int, str | None, int, int]
INLINE = "+inline"  # the part name of a delivery of the envelope with every part inline


@pytest.fixture
def commune(context: Context) -> str:
    return small_commune(context)


def _deliveries(packets: list[Packet], chunkings: list[list[int]]) -> list[Delivery]:
    """Every distinct delivery of these packets: each envelope, each chunk of each chunking."""
    found: set[Delivery] = set()
    for index, (packet, sizes) in enumerate(zip(packets, chunkings, strict=True)):
        found.add((index, None, 0, 0))
        for size in sizes:
            for name, data in packet.sealed_parts.items():
                found.update((index, name, offset, size) for offset in range(0, len(data), size))
    return sorted(found, key=lambda d: (d[0], d[1] or "", d[2], d[3]))


def _deliver(context: Context, packet: Packet, part: str | None, offset: int, size: int) -> None:
    """One request, in its own transaction, as the router would run it."""
    blobs = blobs_of(context)
    with unit_of_work(context.database.sessions) as session:
        if part is None or part == INLINE:
            inline = packet.sealed_parts if part == INLINE else None
            intake.receive_envelope(
                session=session, clock=context.clock, blobs=blobs, envelope_jws=packet.envelope_jws, parts=inline
            )
            return
        data = packet.sealed_parts[part][offset : offset + size]
        intake.receive_chunk(
            session=session,
            clock=context.clock,
            blobs=blobs,
            application_id=packet.envelope.application_id,
            part_name=part,
            offset=offset,
            data=data,
            sha256=hashlib.sha256(data).hexdigest(),
        )


def _expected_receipt(packet: Packet) -> intake.Receipt:
    parts = [
        intake.PartProgress(ref.name, ref.kind.value, ref.priority, ref.size, ref.size, True)
        for ref in sorted(packet.envelope.manifest, key=lambda ref: (ref.priority, ref.name))
    ]
    return intake.Receipt(packet.envelope.application_id, True, "processing", parts=parts)


def _end_state(context: Context, packet: Packet) -> dict[str, object]:
    application_id = packet.envelope.application_id
    blobs = blobs_of(context)
    with unit_of_work(context.database.sessions) as session:

        def count(model: type, *where: object) -> int:
            return int(session.scalar(select(func.count()).select_from(model).where(*where)) or 0)

        parts = session.scalars(select(ApplicationPart).where(ApplicationPart.application_id == application_id))
        return {
            "receipt": intake.status_of(session=session, application_id=application_id),
            "parts": {p.name: blobs.get(p.blob) if p.blob else None for p in parts},
            "applications": count(Application, Application.id == application_id),
            "jobs": session.execute(select(Job.kind, Job.state).where(Job.subject_id == application_id)).all(),
            "events": sorted(
                session.scalars(select(ApplicationEvent.stage).where(ApplicationEvent.application_id == application_id))
            ),
        }


@pytest.mark.parametrize("database", ["sqlite"], indirect=True)
def test_any_interleaving_and_repetition_of_deliveries_ends_in_the_same_state(
    context: Context, kit: SimulatedKit, people: PeopleOf
) -> None:
    (person,) = people("14_plus", 1)

    @settings(max_examples=30, deadline=None, database=None)
    @given(data=st.data())
    def deliveries_in_any_order(data: st.DataObject) -> None:
        packets = [captured_packet(context, kit, person) for _ in range(PACKETS)]
        chunkings = [
            data.draw(st.lists(st.sampled_from(CHUNK_SIZES), min_size=1, max_size=2, unique=True), label="chunk sizes")
            for _ in packets
        ]
        distinct = _deliveries(packets, chunkings)
        repeats = data.draw(st.lists(st.integers(1, 2), min_size=len(distinct), max_size=len(distinct)))
        inline = [(index, INLINE, 0, 0) for index in range(PACKETS) for _ in range(data.draw(st.integers(0, 2)))]
        sequence = data.draw(
            st.permutations([d for d, n in zip(distinct, repeats, strict=True) for _ in range(n)] + inline),
            label="order",
        )

        for index, part, offset, size in sequence:
            _deliver(context, packets[index], part, offset, size)

        for packet in packets:
            assert _end_state(context, packet) == {
                "receipt": _expected_receipt(packet),
                "parts": packet.sealed_parts,
                "applications": 1,
                "jobs": [(intake.FIRST_STAGE, "queued")],
                "events": ["complete", "received"],
            }

    deliveries_in_any_order()
