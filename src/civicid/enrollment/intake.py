"""Intake: envelopes and chunked, resumable part uploads, idempotent in any order (DESIGN.md 4).

- Same application id, same envelope hash: a replay, accepted again.
- Same id, another hash: :class:`DifferentPacket` (409) carrying the stored version.
- Chunks are byte ranges of a sealed part, each with its SHA-256. A chunk sent again with the same
  bytes is a replay; with other bytes it replaces the old one while the part is incomplete (the
  manifest's hash is the arbiter) and is refused once the part is complete.
- Parts may arrive before their envelope. A part is complete when its chunks cover it and the bytes
  hash to the manifest's SHA-256. The application goes to the pipeline when every part it needs
  first (priority 0: templates, compressed portrait) is complete; parts of a later priority
  (full-resolution images, scans) may keep arriving afterwards over a better link
  (docs/decisions/0008-later-parts.md).

Uniqueness is enforced by the database (primary key, unique chunk offsets), and a concurrent
duplicate insert is resolved by reading back what won, never by check-then-insert alone.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Sequence
from dataclasses import dataclass, field

from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from civicid.core import jobs
from civicid.core.blobs import BlobStore
from civicid.core.clock import Clock
from civicid.enrollment import devices, packet
from civicid.enrollment.errors import (
    ApplicationIdMismatch,
    ApplicationNotFound,
    ChunkChecksumMismatch,
    ChunkOutOfRange,
    DifferentPacket,
    PartAlreadyComplete,
    PartHashMismatch,
    UnknownPart,
)
from civicid.enrollment.models import (
    Application,
    ApplicationPart,
    ApplicationStatus,
    PartChunk,
)
from civicid.enrollment.timeline import add_event, bump_change_seq

CHUNK_MAX_BYTES = 256 * 1024
FIRST_STAGE = "enrollment.integrity"
_PART_NAME = re.compile(r"^[a-z0-9_]{1,40}$")


@dataclass(frozen=True)
class PartProgress:
    name: str
    kind: str | None
    priority: int | None
    size: int | None
    received_bytes: int
    complete: bool


@dataclass(frozen=True)
class Receipt:
    application_id: str
    known: bool
    status: str | None
    replay: bool = False
    parts: list[PartProgress] = field(default_factory=list)


def receive_envelope(
    *, session: Session, clock: Clock, blobs: BlobStore, envelope_jws: str, application_id: str | None = None
) -> Receipt:
    """Accept a signed envelope from a registered, unrevoked device; idempotent on its hash."""
    envelope, device = devices.verify_envelope_from_device(session=session, envelope_jws=envelope_jws)
    if application_id is not None and envelope.application_id != application_id:
        raise ApplicationIdMismatch("the envelope names another application id than the request")
    digest = packet.envelope_hash(envelope)
    stored = session.get(Application, envelope.application_id)
    if stored is None:
        stored = _insert_application(session, clock, envelope, envelope_jws, digest, device.id)
        if stored.envelope_hash == digest and stored.status == ApplicationStatus.RECEIVING:
            _assemble_all(session, clock, blobs, stored, drop_mismatched=True)
            return status_of(session=session, application_id=stored.id)
    if stored.envelope_hash != digest:
        raise DifferentPacket(
            "another packet was already received under this application id",
            stored_envelope_hash=stored.envelope_hash,
            stored_status=stored.status.value,
            stored_envelope=stored.envelope_jws,
        )
    receipt = status_of(session=session, application_id=stored.id)
    return Receipt(receipt.application_id, True, receipt.status, replay=True, parts=receipt.parts)


def receive_chunk(
    *,
    session: Session,
    clock: Clock,
    blobs: BlobStore,
    application_id: str,
    part_name: str,
    offset: int,
    data: bytes,
    sha256: str,
) -> Receipt:
    """Store one byte range of a part, then assemble the part (and the application) if it is whole."""
    sha256 = sha256.lower()  # Blobs and chunk rows are named by lower-case hex.
    _check_chunk(part_name, offset, data, sha256)
    part = session.get(ApplicationPart, (application_id, part_name))
    if part is None and session.get(Application, application_id) is not None:
        raise UnknownPart(f"the manifest declares no part {part_name}", part=part_name)
    if part is not None and offset + len(data) > part.size:
        raise ChunkOutOfRange(f"bytes {offset}-{offset + len(data)} lie beyond the part's {part.size} bytes")
    if part is not None and part.blob is not None:
        # The part's own bytes, in whatever chunking, are a replay; other bytes are refused.
        if blobs.get(part.blob)[offset : offset + len(data)] == data:
            return status_of(session=session, application_id=application_id)
        raise PartAlreadyComplete(f"part {part_name} is complete; its bytes can no longer change")
    existing = _chunk_at(session, application_id, part_name, offset)
    if existing is not None and existing.sha256 == sha256 and existing.size == len(data):
        return status_of(session=session, application_id=application_id)
    blobs.put(data)
    _drop_disagreeing(session, blobs, application_id, part_name, offset, data)
    if existing is not None:
        existing.sha256, existing.size, existing.received_at = sha256, len(data), clock.now()
    else:
        _insert_chunk(session, clock, application_id, part_name, offset, data, sha256)
    application = session.get(Application, application_id)
    if application is not None and part is not None:
        if not _assemble(session, blobs, part):
            # Nothing of this request is kept (the caller's transaction rolls back); the client
            # resends the part's ranges, and different bytes replace the stored ones.
            raise PartHashMismatch(f"part {part_name} does not hash to the manifest's SHA-256", part=part_name)
        _complete_if_whole(session, clock, application)
    return status_of(session=session, application_id=application_id)


def status_of(*, session: Session, application_id: str) -> Receipt:
    """What the server holds for an application: the resume point of each part, and the status."""
    application = session.get(Application, application_id)
    chunks = session.scalars(
        select(PartChunk)
        .where(PartChunk.application_id == application_id)
        .order_by(PartChunk.part_name, PartChunk.offset)
    ).all()
    if application is None:
        names = sorted({c.part_name for c in chunks})
        parts = [PartProgress(n, None, None, None, _contiguous(chunks, n), False) for n in names]
        return Receipt(application_id, False, None, parts=parts)
    declared = session.scalars(select(ApplicationPart).where(ApplicationPart.application_id == application_id)).all()
    parts = [
        PartProgress(
            p.name,
            p.kind,
            p.priority,
            p.size,
            p.size if p.blob else min(p.size, _contiguous(chunks, p.name)),
            p.blob is not None,
        )
        for p in sorted(declared, key=lambda p: (p.priority, p.name))
    ]
    return Receipt(application_id, True, application.status.value, parts=parts)


def get_application(*, session: Session, application_id: str) -> Application:
    application = session.get(Application, application_id)
    if application is None:
        raise ApplicationNotFound(f"no application {application_id}")
    return application


# Helpers ---------------------------------------------------------------------------------------


def _check_chunk(part_name: str, offset: int, data: bytes, sha256: str) -> None:
    if not _PART_NAME.match(part_name):
        raise ChunkOutOfRange("a part name is 1 to 40 lower-case letters, digits or underscores")
    if offset < 0:
        raise ChunkOutOfRange("a chunk's offset cannot be negative")
    if not 0 < len(data) <= CHUNK_MAX_BYTES:
        raise ChunkOutOfRange(f"a chunk holds 1 to {CHUNK_MAX_BYTES} bytes")
    if hashlib.sha256(data).hexdigest() != sha256.lower():
        raise ChunkChecksumMismatch("the chunk's bytes do not match its SHA-256: resend it")


def _insert_application(
    session: Session, clock: Clock, envelope: packet.Envelope, envelope_jws: str, digest: str, device_id: str
) -> Application:
    application = Application(
        id=envelope.application_id,
        envelope_jws=envelope_jws,
        envelope_hash=digest,
        application_type=envelope.application_type.value,
        id_number=envelope.id_number,
        commune_code=envelope.commune_code,
        village_id=envelope.village_id,
        device_id=device_id,
        operator=envelope.operator,
        captured_at=envelope.captured_at,
        received_at=clock.now(),
        status=ApplicationStatus.RECEIVING,
        change_seq=0,
    )
    try:
        with session.begin_nested():
            session.add(application)
            session.add_all(
                ApplicationPart(
                    application_id=envelope.application_id,
                    name=ref.name,
                    kind=ref.kind.value,
                    sha256=ref.sha256,
                    size=ref.size,
                    priority=ref.priority,
                )
                for ref in envelope.manifest
            )
            session.flush()  # The primary key decides between two concurrent first deliveries.
    except IntegrityError:
        winner = session.get(Application, envelope.application_id, populate_existing=True)
        if winner is None:
            raise
        return winner
    bump_change_seq(session, application)
    add_event(session, clock, application.id, "received", "accepted", actor=f"device:{device_id}")
    return application


def _insert_chunk(
    session: Session, clock: Clock, application_id: str, part_name: str, offset: int, data: bytes, sha256: str
) -> None:
    chunk = PartChunk(
        application_id=application_id,
        part_name=part_name,
        offset=offset,
        size=len(data),
        sha256=sha256,
        received_at=clock.now(),
    )
    try:
        with session.begin_nested():
            session.add(chunk)
            session.flush()  # The unique offset decides between two concurrent deliveries.
    except IntegrityError:
        winner = _chunk_at(session, application_id, part_name, offset)
        if winner is None or winner.sha256 != sha256:
            raise
        return


def _drop_disagreeing(
    session: Session, blobs: BlobStore, application_id: str, part_name: str, offset: int, data: bytes
) -> None:
    """The newest bytes win: drop stored chunks at other offsets that overlap these and disagree.

    Without this, a wrong chunk sent in one chunking would outlive the right bytes resent in
    another (its range is never resent at its offset) and the part could never complete.
    """
    end = offset + len(data)
    overlapping = session.scalars(
        select(PartChunk).where(
            PartChunk.application_id == application_id,
            PartChunk.part_name == part_name,
            PartChunk.offset != offset,
            PartChunk.offset < end,
            PartChunk.offset + PartChunk.size > offset,
        )
    ).all()
    for chunk in overlapping:
        start, stop = max(offset, chunk.offset), min(end, chunk.offset + chunk.size)
        if blobs.get(chunk.sha256)[start - chunk.offset : stop - chunk.offset] != data[start - offset : stop - offset]:
            session.delete(chunk)


def _chunk_at(session: Session, application_id: str, part_name: str, offset: int) -> PartChunk | None:
    query = select(PartChunk).where(
        PartChunk.application_id == application_id, PartChunk.part_name == part_name, PartChunk.offset == offset
    )
    return session.scalars(query).one_or_none()


def _contiguous(chunks: Sequence[PartChunk], part_name: str) -> int:
    """How many bytes from the start are covered without a gap: where an upload resumes."""
    position = 0
    for chunk in sorted((c for c in chunks if c.part_name == part_name), key=lambda c: c.offset):
        if chunk.offset > position:
            break
        position = max(position, chunk.offset + chunk.size)
    return position


def _assemble(session: Session, blobs: BlobStore, part: ApplicationPart) -> bool:
    """Join the part's chunks if they cover it; False when they do but the bytes hash wrong."""
    if part.blob is not None:
        return True
    chunks = session.scalars(
        select(PartChunk)
        .where(PartChunk.application_id == part.application_id, PartChunk.part_name == part.name)
        .order_by(PartChunk.offset)
    ).all()
    if _contiguous(chunks, part.name) < part.size:
        return True
    assembled = bytearray()
    for chunk in chunks:
        if chunk.offset + chunk.size <= len(assembled):
            continue
        data = blobs.get(chunk.sha256)
        assembled += data[len(assembled) - chunk.offset :]
    whole = bytes(assembled[: part.size])
    if hashlib.sha256(whole).hexdigest() != part.sha256:
        return False
    part.blob = blobs.put(whole)
    return True


def _assemble_all(
    session: Session, clock: Clock, blobs: BlobStore, application: Application, *, drop_mismatched: bool
) -> None:
    parts = session.scalars(select(ApplicationPart).where(ApplicationPart.application_id == application.id)).all()
    for part in parts:
        if not _assemble(session, blobs, part) and drop_mismatched:
            # Chunks that came before the envelope and do not match its manifest: the kit resends them.
            session.execute(
                delete(PartChunk).where(
                    PartChunk.application_id == part.application_id, PartChunk.part_name == part.name
                )
            )
    _complete_if_whole(session, clock, application)


def _complete_if_whole(session: Session, clock: Clock, application: Application) -> None:
    if application.status != ApplicationStatus.RECEIVING:
        return
    parts = session.scalars(select(ApplicationPart).where(ApplicationPart.application_id == application.id)).all()
    if all(p.blob is not None for p in parts if p.priority == packet.PRIORITY_FIRST):
        application.status = ApplicationStatus.PROCESSING
        bump_change_seq(session, application)
        add_event(session, clock, application.id, "complete", "all_parts_received", actor="system:intake")
        jobs.enqueue(session=session, clock=clock, kind=FIRST_STAGE, subject_id=application.id)
