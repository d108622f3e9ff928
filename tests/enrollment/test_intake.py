"""Intake accepts a packet exactly once, whatever the network does to it (DESIGN.md decision 4).

Each test is one rule of the idempotency matrix. Every delivery runs in a transaction of its own, as
each HTTP request would, so a refused request leaves nothing behind and the next one starts from
what the server committed.
"""

from __future__ import annotations

import hashlib
import random
from collections.abc import Iterable
from dataclasses import dataclass

import pytest
from sqlalchemy import func, select
from tests.factories import ADMIN, PeopleOf, captured_packet, small_commune

from civicid.biometrics.simulated import simulated_capture
from civicid.core.blobs import BlobStore
from civicid.core.crypto._b64 import b64url_decode, b64url_encode
from civicid.core.crypto.signing import generate_signing_key
from civicid.core.database import unit_of_work
from civicid.core.jobs import Job
from civicid.core.runtime import Context
from civicid.devices import service as devices
from civicid.devices.errors import RevokedDevice, UnknownDevice
from civicid.enrollment import intake
from civicid.enrollment.errors import (
    ApplicationIdMismatch,
    ChunkChecksumMismatch,
    ChunkOutOfRange,
    DifferentPacket,
    PartAlreadyComplete,
)
from civicid.enrollment.models import Application, ApplicationEvent, ApplicationPart, PartChunk
from civicid.enrollment.runtime import blobs_of, keystore_of
from civicid.protocol.errors import InvalidPacketSignature, PartHashMismatch, UnknownPart
from civicid.protocol.packet import (
    ApplicationType,
    Packet,
    PartIn,
    PartKind,
    build_packet,
    envelope_hash,
    parts_to_send_inline,
)
from civicid.registry.schemas import PersonRead
from civicid.sim.captures import SimulatedKit, portrait_svg

# The sealed parts are a few hundred bytes: small chunks make several of them per part.
CHUNK = 64


@pytest.fixture
def commune(context: Context) -> str:
    return small_commune(context)


@dataclass
class Uplink:
    """The kit's side of the wire: each call is one request, in one transaction."""

    context: Context
    kit: SimulatedKit
    blobs: BlobStore
    person: PersonRead

    def capture(self, kit: SimulatedKit | None = None, *, capture_seed: int = 1) -> Packet:
        return captured_packet(self.context, kit or self.kit, self.person, capture_seed=capture_seed)

    def envelope(
        self, packet: Packet, *, jws: str | None = None, inline: dict[str, bytes] | None = None
    ) -> intake.Receipt:
        """Send the envelope; ``inline`` parts go whole in the same request."""
        with unit_of_work(self.context.database.sessions) as session:
            return intake.receive_envelope(
                session=session,
                clock=self.context.clock,
                blobs=self.blobs,
                envelope_jws=jws or packet.envelope_jws,
                parts=inline,
            )

    def chunk(
        self, packet: Packet, part: str, offset: int, data: bytes, *, sha256: str | None = None
    ) -> intake.Receipt:
        with unit_of_work(self.context.database.sessions) as session:
            return intake.receive_chunk(
                session=session,
                clock=self.context.clock,
                blobs=self.blobs,
                application_id=packet.envelope.application_id,
                part_name=part,
                offset=offset,
                data=data,
                sha256=sha256 or hashlib.sha256(data).hexdigest(),
            )

    def part(
        self, packet: Packet, name: str, *, chunk_bytes: int = CHUNK, offsets: Iterable[int] | None = None
    ) -> intake.Receipt | None:
        data = packet.sealed_parts[name]
        receipt = None
        for offset in offsets if offsets is not None else range(0, len(data), chunk_bytes):
            receipt = self.chunk(packet, name, offset, data[offset : offset + chunk_bytes])
        return receipt

    def parts(self, packet: Packet, *, chunk_bytes: int = CHUNK) -> None:
        for name in packet.sealed_parts:
            self.part(packet, name, chunk_bytes=chunk_bytes)

    def status(self, packet: Packet) -> intake.Receipt:
        with unit_of_work(self.context.database.sessions) as session:
            return intake.status_of(session=session, application_id=packet.envelope.application_id)

    def count(self, model: type, **where: object) -> int:
        with unit_of_work(self.context.database.sessions) as session:
            query = select(func.count()).select_from(model)
            for column, value in where.items():
                query = query.where(getattr(model, column) == value)
            return int(session.scalar(query) or 0)

    def chunk_ranges(self, packet: Packet, part: str) -> list[tuple[int, int]]:
        with unit_of_work(self.context.database.sessions) as session:
            rows = session.scalars(
                select(PartChunk)
                .where(PartChunk.application_id == packet.envelope.application_id, PartChunk.part_name == part)
                .order_by(PartChunk.offset)
            ).all()
            return [(row.offset, row.size) for row in rows]

    def stored_parts(self, packet: Packet) -> dict[str, bytes | None]:
        """The assembled bytes of each declared part, or None while it is incomplete."""
        with unit_of_work(self.context.database.sessions) as session:
            rows = session.scalars(
                select(ApplicationPart).where(ApplicationPart.application_id == packet.envelope.application_id)
            ).all()
            return {row.name: self.blobs.get(row.blob) if row.blob else None for row in rows}

    def jobs(self, packet: Packet) -> list[tuple[str, str]]:
        with unit_of_work(self.context.database.sessions) as session:
            rows = session.scalars(select(Job).where(Job.subject_id == packet.envelope.application_id)).all()
            return [(row.kind, row.state.value) for row in rows]


@pytest.fixture
def uplink(context: Context, kit: SimulatedKit, people: PeopleOf) -> Uplink:
    (person,) = people("14_plus", 1)
    return Uplink(context=context, kit=kit, blobs=blobs_of(context), person=person)


def _complete(uplink: Uplink, packet: Packet) -> None:
    """Complete: processing, every part stored with exactly the bytes the kit sealed, one integrity job."""
    assert uplink.status(packet).status == "processing"
    assert all(p.complete and p.received_bytes == p.size for p in uplink.status(packet).parts)
    assert uplink.stored_parts(packet) == packet.sealed_parts
    assert uplink.jobs(packet) == [(intake.FIRST_STAGE, "queued")]
    assert uplink.count(Application, id=packet.envelope.application_id) == 1


def _flip_a_byte(jws: str) -> str:
    header, payload, signature = jws.split(".")
    raw = bytearray(b64url_decode(payload))
    raw[len(raw) // 2] ^= 0x01
    return ".".join((header, b64url_encode(bytes(raw)), signature))


# Envelopes --------------------------------------------------------------------------------------


def test_the_same_envelope_twice_is_a_replay_and_one_application(uplink: Uplink) -> None:
    packet = uplink.capture()
    first = uplink.envelope(packet)
    again = uplink.envelope(packet)
    assert (first.known, first.replay, first.status) == (True, False, "receiving")
    assert (again.known, again.replay, again.status) == (True, True, "receiving")
    assert again.parts == first.parts
    assert uplink.count(Application, id=packet.envelope.application_id) == 1
    assert uplink.count(ApplicationEvent, application_id=packet.envelope.application_id) == 1


def test_the_same_envelope_after_completion_is_a_replay_that_changes_nothing(uplink: Uplink) -> None:
    packet = uplink.capture()
    uplink.envelope(packet)
    uplink.parts(packet)
    again = uplink.envelope(packet)
    assert (again.replay, again.status) == (True, "processing")
    _complete(uplink, packet)


def test_another_packet_under_the_same_id_is_a_409_with_the_stored_version_and_changes_nothing(
    uplink: Uplink,
) -> None:
    packet = uplink.capture()
    uplink.envelope(packet)
    uplink.parts(packet)
    # The same application id, captured again (other biometric samples): another envelope hash.
    server = keystore_of(uplink.context).sealing_public_key()
    other = uplink.kit.capture(
        person=uplink.person, clock=uplink.context.clock, server_public_key=server, capture_seed=2
    )
    other = _same_id(uplink, packet, other)
    assert envelope_hash(other.envelope) != envelope_hash(packet.envelope)
    before = _snapshot(uplink, packet)

    with pytest.raises(DifferentPacket) as refused:
        uplink.envelope(other)

    assert refused.value.status == 409
    assert refused.value.extensions == {
        "stored_envelope_hash": envelope_hash(packet.envelope),
        "stored_status": "processing",
        "stored_envelope": packet.envelope_jws,
    }
    assert _snapshot(uplink, packet) == before
    _complete(uplink, packet)


def test_the_request_must_name_the_application_its_envelope_names(uplink: Uplink) -> None:
    packet = uplink.capture()
    with unit_of_work(uplink.context.database.sessions) as session, pytest.raises(ApplicationIdMismatch):
        intake.receive_envelope(
            session=session,
            clock=uplink.context.clock,
            blobs=uplink.blobs,
            envelope_jws=packet.envelope_jws,
            application_id=uplink.capture().envelope.application_id,
        )
    assert uplink.count(Application) == 0


def _same_id(uplink: Uplink, packet: Packet, other: Packet) -> Packet:
    """``other`` rebuilt under ``packet``'s application id, sealed and signed as the kit would."""
    server = keystore_of(uplink.context).sealing_public_key()
    capture = other.envelope.model_copy(update={"application_id": packet.envelope.application_id})
    parts = {
        "face": PartIn(PartKind.FACE_TEMPLATE, simulated_capture(uplink.person.id, 2, "face"), 0),
        "fingers": PartIn(PartKind.FINGER_TEMPLATES, simulated_capture(uplink.person.id, 2, "finger"), 0),
        "portrait": PartIn(PartKind.PORTRAIT, portrait_svg(uplink.person.id), 0),
    }
    return build_packet(capture=capture, parts=parts, device_key=uplink.kit.key, server_public_key=server)


def _snapshot(uplink: Uplink, packet: Packet) -> tuple[object, ...]:
    with unit_of_work(uplink.context.database.sessions) as session:
        row = session.get(Application, packet.envelope.application_id)
        assert row is not None
        application = (row.envelope_jws, row.envelope_hash, row.status, row.change_seq)
    return (
        application,
        uplink.stored_parts(packet),
        {name: uplink.chunk_ranges(packet, name) for name in packet.sealed_parts},
        uplink.count(ApplicationEvent, application_id=packet.envelope.application_id),
        uplink.jobs(packet),
    )


# Order ------------------------------------------------------------------------------------------


def test_parts_that_come_before_their_envelope_complete_it_when_it_arrives(uplink: Uplink) -> None:
    packet = uplink.capture()
    uplink.parts(packet)
    early = uplink.status(packet)
    assert (early.known, early.status) == (False, None)
    assert {p.name: p.received_bytes for p in early.parts} == {n: len(d) for n, d in packet.sealed_parts.items()}
    assert uplink.jobs(packet) == []

    receipt = uplink.envelope(packet)

    assert (receipt.replay, receipt.status) == (False, "processing")
    _complete(uplink, packet)


def test_parts_in_any_order_and_chunks_in_any_order_complete_the_application(uplink: Uplink) -> None:
    shuffle = random.Random(20261128).shuffle
    packets = [uplink.capture() for _ in range(3)]
    for packet in packets:
        uplink.envelope(packet)
    # Reversed parts, chunks last to first.
    first = packets[0]
    for name in reversed(list(first.sealed_parts)):
        offsets = reversed(range(0, len(first.sealed_parts[name]), CHUNK))
        uplink.part(first, name, offsets=offsets)
    # Every chunk of two applications interleaved, in one shuffled order.
    sends = [
        (packet, name, offset)
        for packet in packets[1:]
        for name, data in packet.sealed_parts.items()
        for offset in range(0, len(data), CHUNK)
    ]
    shuffle(sends)
    for packet, name, offset in sends:
        uplink.chunk(packet, name, offset, packet.sealed_parts[name][offset : offset + CHUNK])
    for packet in packets:
        _complete(uplink, packet)


def test_an_application_with_no_parts_is_complete_on_its_envelope(uplink: Uplink, people: PeopleOf) -> None:
    (child,) = people("under_6", 1)
    server = keystore_of(uplink.context).sealing_public_key()
    packet = uplink.kit.capture(
        person=child,
        clock=uplink.context.clock,
        server_public_key=server,
        application_type=ApplicationType.CHILD_CARD,
        guardian_id_number=uplink.person.id_number,
    )
    assert packet.sealed_parts == {}
    assert uplink.envelope(packet).status == "processing"
    assert uplink.jobs(packet) == [(intake.FIRST_STAGE, "queued")]


# Parts inline with the envelope (decision 0030) ---------------------------------------------------


def test_an_envelope_with_its_parts_inline_is_complete_in_one_request(uplink: Uplink) -> None:
    packet = uplink.capture()

    receipt = uplink.envelope(packet, inline=packet.sealed_parts)

    assert (receipt.known, receipt.replay, receipt.status) == (True, False, "processing")
    assert all(p.complete for p in receipt.parts)
    _complete(uplink, packet)
    assert uplink.count(PartChunk, application_id=packet.envelope.application_id) == 0
    events = uplink.count(ApplicationEvent, application_id=packet.envelope.application_id)
    assert events == 2  # received, complete


def test_some_parts_inline_and_the_rest_in_chunks_complete_the_application(uplink: Uplink) -> None:
    packet = uplink.capture()

    receipt = uplink.envelope(packet, inline={"face": packet.sealed_parts["face"]})

    assert receipt.status == "receiving"
    assert {p.name for p in receipt.parts if p.complete} == {"face"}
    uplink.part(packet, "fingers")
    uplink.part(packet, "portrait")
    _complete(uplink, packet)


def test_an_envelope_replayed_with_parts_inline_completes_what_chunks_left_unfinished(uplink: Uplink) -> None:
    packet = uplink.capture()
    uplink.envelope(packet)
    uplink.part(packet, "face")
    uplink.part(packet, "portrait", offsets=[0])  # the link dropped after one chunk

    again = uplink.envelope(packet, inline=packet.sealed_parts)

    assert (again.replay, again.status) == (True, "processing")
    _complete(uplink, packet)
    assert uplink.envelope(packet, inline=packet.sealed_parts).replay  # and again: nothing changes
    _complete(uplink, packet)


def test_an_inline_part_with_wrong_bytes_refuses_the_whole_request_and_keeps_nothing(uplink: Uplink) -> None:
    packet = uplink.capture()
    wrong = bytearray(packet.sealed_parts["portrait"])
    wrong[7] ^= 0xFF

    with pytest.raises(PartHashMismatch) as refused:
        uplink.envelope(packet, inline={**packet.sealed_parts, "portrait": bytes(wrong)})

    assert refused.value.extensions == {"part": "portrait"}
    assert uplink.status(packet).known is False
    assert uplink.count(Application, id=packet.envelope.application_id) == 0
    uplink.envelope(packet, inline=packet.sealed_parts)  # the right bytes, sent again
    _complete(uplink, packet)


def test_an_inline_part_the_manifest_does_not_declare_is_refused(uplink: Uplink) -> None:
    packet = uplink.capture()

    with pytest.raises(UnknownPart):
        uplink.envelope(packet, inline={"passport_scan": b"not declared"})

    assert uplink.count(Application, id=packet.envelope.application_id) == 0


def test_parts_inline_hold_at_most_one_chunk_together(uplink: Uplink) -> None:
    packet = uplink.capture()
    too_much = {name: data * (intake.INLINE_MAX_BYTES // len(data) + 1) for name, data in packet.sealed_parts.items()}

    with pytest.raises(ChunkOutOfRange):
        uplink.envelope(packet, inline=too_much)

    assert uplink.count(Application, id=packet.envelope.application_id) == 0


def test_a_kit_sends_inline_the_first_parts_that_fit_smallest_first() -> None:
    parts = [("portrait_full", 1, 10), ("portrait", 0, 900), ("face", 0, 300), ("fingers", 0, 500)]
    assert parts_to_send_inline(parts, budget=1000) == {"face", "fingers"}
    assert parts_to_send_inline(parts, budget=2000) == {"face", "fingers", "portrait"}
    assert parts_to_send_inline(parts, budget=0) == set()


# Missing and wrong bytes ------------------------------------------------------------------------


def test_a_missing_part_keeps_the_application_receiving_and_status_says_what_is_in(uplink: Uplink) -> None:
    packet = uplink.capture()
    uplink.envelope(packet)
    uplink.part(packet, "face")
    portrait = packet.sealed_parts["portrait"]
    uplink.part(packet, "portrait", offsets=[0, CHUNK, 3 * CHUNK])  # a gap at 2 × CHUNK

    receipt = uplink.status(packet)

    assert receipt.status == "receiving"
    progress = {p.name: (p.received_bytes, p.size, p.complete) for p in receipt.parts}
    assert progress == {
        "face": (len(packet.sealed_parts["face"]), len(packet.sealed_parts["face"]), True),
        "fingers": (0, len(packet.sealed_parts["fingers"]), False),
        "portrait": (2 * CHUNK, len(portrait), False),
    }
    assert uplink.jobs(packet) == []


def test_a_part_that_does_not_hash_to_the_manifest_is_refused_until_the_right_bytes_come(uplink: Uplink) -> None:
    packet = uplink.capture()
    uplink.envelope(packet)
    right = packet.sealed_parts["portrait"]
    wrong = bytearray(right)
    wrong[CHUNK + 5] ^= 0xFF
    offsets = list(range(0, len(right), CHUNK))
    for offset in offsets[:-1]:
        uplink.chunk(packet, "portrait", offset, bytes(wrong[offset : offset + CHUNK]))

    with pytest.raises(PartHashMismatch) as refused:
        uplink.chunk(packet, "portrait", offsets[-1], right[offsets[-1] :])

    assert refused.value.extensions == {"part": "portrait"}
    assert uplink.stored_parts(packet)["portrait"] is None
    uplink.part(packet, "face")
    uplink.part(packet, "fingers")
    assert uplink.status(packet).status == "receiving"
    assert uplink.jobs(packet) == []

    uplink.part(packet, "portrait")  # the whole part again, the right bytes

    _complete(uplink, packet)


def test_the_right_bytes_resent_in_other_chunk_sizes_replace_wrong_ones(uplink: Uplink) -> None:
    packet = uplink.capture()
    uplink.envelope(packet)
    uplink.part(packet, "face")
    uplink.part(packet, "fingers")
    right = packet.sealed_parts["portrait"]
    wrong = bytearray(right)
    wrong[CHUNK + 45] ^= 0xFF  # past 100, in the chunk at CHUNK, where a 100-byte chunking never starts
    offsets = list(range(0, len(right), CHUNK))
    for offset in offsets[:-1]:
        uplink.chunk(packet, "portrait", offset, bytes(wrong[offset : offset + CHUNK]))
    with pytest.raises(PartHashMismatch):
        uplink.chunk(packet, "portrait", offsets[-1], right[offsets[-1] :])

    uplink.part(packet, "portrait", chunk_bytes=100)  # the kit resends the part, in smaller pieces

    _complete(uplink, packet)


def test_a_chunk_whose_bytes_do_not_match_its_checksum_is_refused_and_nothing_is_stored(uplink: Uplink) -> None:
    packet = uplink.capture()
    uplink.envelope(packet)
    data = packet.sealed_parts["face"][:CHUNK]
    damaged = bytes([data[0] ^ 0x01]) + data[1:]

    with pytest.raises(ChunkChecksumMismatch):
        uplink.chunk(packet, "face", 0, damaged, sha256=hashlib.sha256(data).hexdigest())

    assert uplink.chunk_ranges(packet, "face") == []
    assert not uplink.blobs.exists(hashlib.sha256(damaged).hexdigest())
    assert {p.name: p.received_bytes for p in uplink.status(packet).parts}["face"] == 0


def test_a_checksum_in_upper_case_hex_is_the_same_checksum(uplink: Uplink) -> None:
    packet = uplink.capture()
    uplink.envelope(packet)
    for name, data in packet.sealed_parts.items():
        for offset in range(0, len(data), CHUNK):
            chunk = data[offset : offset + CHUNK]
            uplink.chunk(packet, name, offset, chunk, sha256=hashlib.sha256(chunk).hexdigest().upper())
    uplink.chunk(packet, "face", 0, packet.sealed_parts["face"][:CHUNK])  # the same chunk, in lower case
    _complete(uplink, packet)


# Resuming ---------------------------------------------------------------------------------------


def test_an_upload_killed_midway_resumes_from_status_and_stores_no_chunk_twice(uplink: Uplink) -> None:
    packet = uplink.capture()
    uplink.envelope(packet)
    portrait = packet.sealed_parts["portrait"]
    offsets = list(range(0, len(portrait), CHUNK))
    half = len(offsets) // 2
    uplink.part(packet, "face")
    uplink.part(packet, "portrait", offsets=offsets[:half])
    in_flight = portrait[offsets[half] : offsets[half] + CHUNK]

    def send_and_drop_the_connection() -> None:
        with unit_of_work(uplink.context.database.sessions) as session:
            intake.receive_chunk(
                session=session,
                clock=uplink.context.clock,
                blobs=uplink.blobs,
                application_id=packet.envelope.application_id,
                part_name="portrait",
                offset=offsets[half],
                data=in_flight,
                sha256=hashlib.sha256(in_flight).hexdigest(),
            )
            raise ConnectionResetError

    # The connection drops while the next chunk is in flight: its transaction never commits.
    with pytest.raises(ConnectionResetError):
        send_and_drop_the_connection()

    # A new session asks where to resume, and sends only what is missing.
    resume = {p.name: p.received_bytes for p in uplink.status(packet).parts}
    assert resume == {"face": len(packet.sealed_parts["face"]), "fingers": 0, "portrait": half * CHUNK}
    for name, data in packet.sealed_parts.items():
        uplink.part(packet, name, offsets=range(resume[name], len(data), CHUNK))

    _complete(uplink, packet)
    assert uplink.chunk_ranges(packet, "portrait") == [(o, min(CHUNK, len(portrait) - o)) for o in offsets]


def test_chunks_resent_in_another_size_overlap_and_still_assemble(uplink: Uplink) -> None:
    packet = uplink.capture()
    uplink.envelope(packet)
    portrait = packet.sealed_parts["portrait"]
    uplink.part(packet, "portrait", offsets=range(0, len(portrait) // 2, CHUNK))
    # The signal got worse: the kit starts the part again in 40-byte chunks, then finishes in 150s.
    uplink.part(packet, "portrait", chunk_bytes=40, offsets=range(0, len(portrait) * 3 // 4, 40))
    uplink.part(packet, "portrait", chunk_bytes=150, offsets=range(len(portrait) // 3, len(portrait), 150))
    uplink.part(packet, "face", chunk_bytes=50)
    uplink.part(packet, "fingers", chunk_bytes=len(packet.sealed_parts["fingers"]))
    _complete(uplink, packet)


def test_resending_a_complete_part_in_any_chunk_size_is_a_replay(uplink: Uplink) -> None:
    packet = uplink.capture()
    uplink.envelope(packet)
    uplink.parts(packet)
    before = _snapshot(uplink, packet)

    # The kit never saw the answer to its last chunk, and sends the whole part again in other sizes.
    for size in (CHUNK, 50, 1000):
        receipt = uplink.part(packet, "portrait", chunk_bytes=size)
        assert receipt is not None
        assert receipt.status == "processing"

    assert _snapshot(uplink, packet) == before
    _complete(uplink, packet)


def test_other_bytes_for_a_complete_part_are_refused(uplink: Uplink) -> None:
    packet = uplink.capture()
    uplink.envelope(packet)
    uplink.parts(packet)
    before = _snapshot(uplink, packet)
    wrong = bytes(b ^ 0xFF for b in packet.sealed_parts["portrait"][:CHUNK])
    for offset in (0, 10):
        with pytest.raises(PartAlreadyComplete):
            uplink.chunk(packet, "portrait", offset, wrong)
    assert _snapshot(uplink, packet) == before


def test_a_chunk_beyond_the_declared_size_is_out_of_range(uplink: Uplink) -> None:
    packet = uplink.capture()
    uplink.envelope(packet)
    size = len(packet.sealed_parts["face"])
    for offset, data in ((size, b"x"), (size - 3, b"abcd"), (10 * size, b"x" * 8)):
        with pytest.raises(ChunkOutOfRange):
            uplink.chunk(packet, "face", offset, data)
    with pytest.raises(ChunkOutOfRange):
        uplink.chunk(packet, "face", -1, b"x")
    assert uplink.chunk_ranges(packet, "face") == []


def test_replaying_the_last_chunk_enqueues_exactly_one_integrity_job(uplink: Uplink) -> None:
    packet = uplink.capture()
    uplink.envelope(packet)
    uplink.parts(packet)
    portrait = packet.sealed_parts["portrait"]
    last = (len(portrait) - 1) // CHUNK * CHUNK
    for _ in range(5):
        assert uplink.chunk(packet, "portrait", last, portrait[last:]).status == "processing"
        uplink.envelope(packet)
    _complete(uplink, packet)
    assert uplink.count(ApplicationEvent, application_id=packet.envelope.application_id, stage="complete") == 1


# Who may send -----------------------------------------------------------------------------------


def test_an_envelope_from_an_unknown_device_is_refused(uplink: Uplink) -> None:
    stranger = SimulatedKit(
        device_id="kit-000000000000", key=generate_signing_key(), commune_code=uplink.kit.commune_code, operator="x"
    )
    with pytest.raises(UnknownDevice):
        uplink.envelope(uplink.capture(stranger))
    assert uplink.count(Application) == 0


def test_an_envelope_from_a_revoked_device_is_refused(uplink: Uplink) -> None:
    packet = uplink.capture()
    with unit_of_work(uplink.context.database.sessions) as session:
        devices.revoke_device(
            session=session, clock=uplink.context.clock, actor=ADMIN, device_id=uplink.kit.device_id, reason="lost"
        )
    with pytest.raises(RevokedDevice):
        uplink.envelope(packet)
    assert uplink.count(Application) == 0


def test_a_tampered_envelope_is_refused(uplink: Uplink) -> None:
    packet = uplink.capture()
    with pytest.raises(InvalidPacketSignature):
        uplink.envelope(packet, jws=_flip_a_byte(packet.envelope_jws))
    assert uplink.count(Application) == 0
    assert uplink.envelope(packet).status == "receiving"  # the genuine one is still welcome
