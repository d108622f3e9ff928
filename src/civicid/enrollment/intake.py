"""Intake: envelopes and chunked, resumable part uploads, idempotent in any order (DESIGN.md 4).

- Same application id, same envelope hash: a replay, accepted again.
- Same id, another hash: :class:`DifferentPacket` (409) carrying the stored version.
- Chunks are byte ranges of a sealed part, each with its SHA-256. A chunk sent again with the same
  bytes is a replay; with other bytes it replaces the old one while the part is incomplete (the
  manifest's hash is the arbiter) and is refused once the part is complete.
- Small parts may come whole, inline with their envelope: one request instead of one per part, for
  the kit's round trips on a slow link and for the server's statements
  (docs/decisions/0030-parts-inline-with-the-envelope.md). They are checked against the manifest
  before anything is written; with a replayed envelope they are taken as chunks at offset 0.
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
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, cast

from sqlalchemy import CompoundSelect, Table, bindparam, delete, insert, literal_column, null, select, union_all, update
from sqlalchemy.dialects import postgresql
from sqlalchemy.orm import Session
from sqlalchemy.orm.util import identity_key

from civicid.core import jobs
from civicid.core.blobs import BlobStore
from civicid.core.clock import Clock
from civicid.core.crypto._b64 import b64url_decode
from civicid.core.dialects import by_dialect, insert_into, on_postgresql, per_dialect
from civicid.devices import service as devices
from civicid.enrollment.errors import (
    ApplicationIdMismatch,
    ApplicationNotFound,
    ChunkChecksumMismatch,
    ChunkOutOfRange,
    DifferentPacket,
    PartAlreadyComplete,
)
from civicid.enrollment.models import Application, ApplicationPart, PartChunk
from civicid.enrollment.timeline import NEXT_CHANGE, Event, NumberedUpdate, add_event, add_events, next_change_seq
from civicid.protocol import packet
from civicid.protocol.codes import ApplicationStatus, Stage
from civicid.protocol.errors import PartHashMismatch, UnknownPart

CHUNK_MAX_BYTES = 256 * 1024
INLINE_MAX_BYTES = CHUNK_MAX_BYTES
"""Parts sent inline with an envelope hold at most this many bytes together: one chunk's worth."""
# Statements of the per-request path, built once: building one costs more than running it.
_PART = ApplicationPart
_CHUNKS = select(PartChunk.part_name, PartChunk.offset, PartChunk.size, PartChunk.sha256).where(
    PartChunk.application_id == bindparam("id")
)
# An application's whole state in one round trip: its declared parts (with its status; one row with
# no part while only the envelope is in) tagged 0, then its chunks tagged 1.
_STATE: CompoundSelect[Any] = union_all(
    select(
        literal_column("0").label("row"),
        Application.status,
        _PART.name,
        _PART.kind,
        _PART.size,
        _PART.priority,
        _PART.sha256,
        _PART.blob,
        null().label("chunk_offset"),
    )
    .outerjoin(_PART, _PART.application_id == Application.id)
    .where(Application.id == bindparam("id")),
    select(
        literal_column("1"),
        null(),
        PartChunk.part_name,
        null(),
        PartChunk.size,
        null(),
        PartChunk.sha256,
        null(),
        PartChunk.offset,
    ).where(PartChunk.application_id == bindparam("id")),
)
_INSERT_IGNORING = per_dialect(
    lambda dialect: {
        "application": insert_into(Application, dialect).on_conflict_do_nothing().returning(Application.id),
        "chunk": insert_into(PartChunk, dialect)
        .on_conflict_do_nothing(index_elements=["application_id", "part_name", "offset"])
        .returning(PartChunk.id),
    }
)
# PostgreSQL: the application's INSERT takes its change number from the counter's bump in the same
# statement (one round trip, not two). No row back: the id was taken, or the counter's row does not
# exist yet; the two-statement path (_insert_application_row) then decides which.
_APPLICATION_COLUMNS = (
    "id",
    "receipt_code",
    "envelope_jws",
    "envelope_hash",
    "application_type",
    "id_number",
    "commune_code",
    "village_id",
    "device_id",
    "operator",
    "captured_at",
    "received_at",
    "status",
)
_APPLICATION = cast(Table, Application.__table__)
_INSERT_NUMBERED = (
    postgresql.insert(Application)
    .from_select(
        [*_APPLICATION_COLUMNS, "change_seq"],
        select(
            *(bindparam(name, type_=_APPLICATION.c[name].type) for name in _APPLICATION_COLUMNS), NEXT_CHANGE.c.value
        ),
    )
    .on_conflict_do_nothing()
    .returning(Application.id)
    .add_cte(NEXT_CHANGE)
)
# PostgreSQL: RETURNING sends the manifest's parts as one multi-row INSERT, not one query per part.
_INSERT_PARTS = by_dialect(
    postgresql=insert(ApplicationPart).returning(ApplicationPart.name), sqlite=insert(ApplicationPart)
)
_REPLACE_CHUNK = (
    update(PartChunk)
    .where(
        PartChunk.application_id == bindparam("b_application"),
        PartChunk.part_name == bindparam("b_part"),
        PartChunk.offset == bindparam("b_offset"),
    )
    .values(sha256=bindparam("b_sha256"), size=bindparam("b_size"), received_at=bindparam("b_at"))
)
_SET_PART_BLOB = (
    update(ApplicationPart)
    .where(ApplicationPart.application_id == bindparam("b_application"), ApplicationPart.name == bindparam("b_part"))
    .values(blob=bindparam("b_blob"))
)
_TO_PROCESSING = NumberedUpdate(
    update(Application)
    .where(Application.id == bindparam("b_application"))
    .values(status=ApplicationStatus.PROCESSING, change_seq=bindparam("b_change_seq"))
)
FIRST_STAGE = "enrollment.integrity"
_INTAKE_ACTOR = "system:intake"
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
    *,
    session: Session,
    clock: Clock,
    blobs: BlobStore,
    envelope_jws: str,
    application_id: str | None = None,
    parts: Mapping[str, bytes] | None = None,
) -> Receipt:
    """Accept a signed envelope from a registered, unrevoked device; idempotent on its hash.

    ``parts`` are whole sealed parts sent inline with it: each must be declared by the manifest
    and hash to its SHA-256, or nothing of the request is kept.
    """
    envelope, device = devices.verify_envelope_from_device(session=session, envelope_jws=envelope_jws)
    if application_id is not None and envelope.application_id != application_id:
        raise ApplicationIdMismatch("the envelope names another application id than the request")
    inline = _inline_parts(envelope, parts or {})
    # The envelope hash is the SHA-256 of the JWS payload (decision 0004), which open_envelope has
    # just checked is the envelope's canonical form: no need to canonicalise it a second time.
    digest = hashlib.sha256(b64url_decode(envelope_jws.split(".")[1])).hexdigest()
    state = _State.declared(envelope, whole=inline.keys())
    if _insert_application(session, clock, blobs, envelope, envelope_jws, digest, device.id, state, inline):
        if len(inline) < len(state.parts):
            # Parts may have come before their envelope: assemble what they cover, drop what disagrees.
            state.chunks = _chunks(session, envelope.application_id)
            if state.chunks:
                _assemble_early_chunks(session, blobs, state)
            _complete_if_whole(session, clock, state)
        return state.receipt()
    stored = session.execute(
        select(Application.envelope_hash, Application.status, Application.envelope_jws).where(
            Application.id == envelope.application_id
        )
    ).one()
    if stored.envelope_hash != digest:
        raise DifferentPacket(
            "another packet was already received under this application id",
            stored_envelope_hash=stored.envelope_hash,
            stored_status=stored.status.value,
            stored_envelope=stored.envelope_jws,
        )
    for name, data in inline.items():
        receive_chunk(
            session=session,
            clock=clock,
            blobs=blobs,
            application_id=envelope.application_id,
            part_name=name,
            offset=0,
            data=data,
            sha256=state.parts[name].sha256,
        )
    receipt = status_of(session=session, application_id=envelope.application_id)
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
    """Store one byte range of a part, then assemble the part (and the application) if it is whole.

    The application's state is read once (its parts, then its chunks: two queries) and kept up to
    date in memory, so the checks, the assembly and the receipt cost no further reads.
    """
    sha256 = sha256.lower()  # Blobs and chunk rows are named by lower-case hex.
    _check_chunk(part_name, offset, data, sha256)
    state = _State.load(session, application_id)
    part = state.parts.get(part_name)
    if part is None and state.known:
        raise UnknownPart(f"the manifest declares no part {part_name}", part=part_name)
    if part is not None and offset + len(data) > part.size:
        raise ChunkOutOfRange(f"bytes {offset}-{offset + len(data)} lie beyond the part's {part.size} bytes")
    if part is not None and part.blob is not None:
        # The part's own bytes, in whatever chunking, are a replay; other bytes are refused.
        if blobs.get(part.blob)[offset : offset + len(data)] == data:
            return state.receipt()
        raise PartAlreadyComplete(f"part {part_name} is complete; its bytes can no longer change")
    existing = state.chunk_at(part_name, offset)
    if existing is not None and existing.sha256 == sha256 and existing.size == len(data):
        return state.receipt()
    blobs.put(data, session=session)
    _drop_disagreeing(session, blobs, state, part_name, offset, data)
    _store_chunk(session, clock, state, _Chunk(part_name, offset, len(data), sha256), existing)
    if part is not None:
        if not _assemble(session, blobs, state, part, {sha256: data}):
            # Nothing of this request is kept (the caller's transaction rolls back); the client
            # resends the part's ranges, and different bytes replace the stored ones.
            raise PartHashMismatch(f"part {part_name} does not hash to the manifest's SHA-256", part=part_name)
        _complete_if_whole(session, clock, state)
    return state.receipt()


def status_of(*, session: Session, application_id: str) -> Receipt:
    """What the server holds for an application: the resume point of each part, and the status."""
    return _State.load(session, application_id).receipt()


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


def _inline_parts(envelope: packet.Envelope, parts: Mapping[str, bytes]) -> dict[str, bytes]:
    """Whole parts sent with the envelope, each checked against the manifest before anything is written."""
    declared = {ref.name: ref for ref in envelope.manifest}
    if sum(len(data) for data in parts.values()) > INLINE_MAX_BYTES:
        raise ChunkOutOfRange(f"parts sent inline hold at most {INLINE_MAX_BYTES} bytes together; send the rest apart")
    for name, data in parts.items():
        ref = declared.get(name)
        if ref is None:
            raise UnknownPart(f"the manifest declares no part {name}", part=name)
        if len(data) != ref.size or hashlib.sha256(data).hexdigest() != ref.sha256:
            raise PartHashMismatch(f"part {name} does not hash to the manifest's SHA-256", part=name)
    return dict(parts)


@dataclass
class _Part:
    name: str
    kind: str
    size: int
    priority: int
    sha256: str
    blob: str | None


@dataclass
class _Chunk:
    part_name: str
    offset: int
    size: int
    sha256: str


@dataclass
class _State:
    """One application as intake sees it: known or not, its status, declared parts and chunks."""

    application_id: str
    known: bool
    status: ApplicationStatus | None
    parts: dict[str, _Part]
    chunks: list[_Chunk]

    @classmethod
    def load(cls, session: Session, application_id: str) -> _State:
        rows = session.connection().execute(_STATE, {"id": application_id}).all()
        declared = [row for row in rows if row[0] == 0]
        parts = {row[2]: _Part(*row[2:8]) for row in declared if row[2] is not None}
        chunks = [_Chunk(row[2], row[8], row[4], row[6]) for row in rows if row[0] == 1]
        status = declared[0][1] if declared else None
        return cls(application_id, bool(declared), status, parts, chunks)

    @classmethod
    def declared(cls, envelope: packet.Envelope, *, whole: Collection[str] = ()) -> _State:
        """A new application's state: its manifest's parts, those named in ``whole`` already stored, no chunks yet.

        Its status is processing as soon as every part needed first is whole.
        """
        parts = {
            ref.name: _Part(
                ref.name, ref.kind.value, ref.size, ref.priority, ref.sha256, ref.sha256 if ref.name in whole else None
            )
            for ref in envelope.manifest
        }
        state = cls(envelope.application_id, True, ApplicationStatus.RECEIVING, parts, [])
        if state.first_parts_whole():
            state.status = ApplicationStatus.PROCESSING
        return state

    def first_parts_whole(self) -> bool:
        """Every part the pipeline needs first is whole: the application can go to the pipeline."""
        return all(p.blob is not None for p in self.parts.values() if p.priority == packet.PRIORITY_FIRST)

    def chunks_of(self, part_name: str) -> list[_Chunk]:
        return sorted((c for c in self.chunks if c.part_name == part_name), key=lambda c: c.offset)

    def chunk_at(self, part_name: str, offset: int) -> _Chunk | None:
        return next((c for c in self.chunks if c.part_name == part_name and c.offset == offset), None)

    def receipt(self) -> Receipt:
        if not self.known:
            names = sorted({c.part_name for c in self.chunks})
            progress = [PartProgress(n, None, None, None, _contiguous(self.chunks, n), False) for n in names]
            return Receipt(self.application_id, False, None, parts=progress)
        progress = [
            PartProgress(
                p.name,
                p.kind,
                p.priority,
                p.size,
                p.size if p.blob else min(p.size, _contiguous(self.chunks, p.name)),
                p.blob is not None,
            )
            for p in sorted(self.parts.values(), key=lambda p: (p.priority, p.name))
        ]
        status = self.status.value if self.status is not None else None
        return Receipt(self.application_id, True, status, parts=progress)


def _chunks(session: Session, application_id: str) -> list[_Chunk]:
    return [_Chunk(*row) for row in session.connection().execute(_CHUNKS, {"id": application_id})]


def _insert_application(
    session: Session,
    clock: Clock,
    blobs: BlobStore,
    envelope: packet.Envelope,
    envelope_jws: str,
    digest: str,
    device_id: str,
    state: _State,
    inline: Mapping[str, bytes],
) -> bool:
    """Insert the application, its declared parts and its inline parts' blobs; False if the id was taken.

    ``INSERT … ON CONFLICT DO NOTHING`` on the primary key decides between two concurrent first
    deliveries without a savepoint; the loser then compares hashes like any replay. An application
    whose first parts all came inline goes to the pipeline in the same statements.
    """
    values: dict[str, Any] = {
        "id": envelope.application_id,
        "receipt_code": packet.receipt_code(envelope.application_id),
        "envelope_jws": envelope_jws,
        "envelope_hash": digest,
        "application_type": envelope.application_type.value,
        "id_number": envelope.id_number,
        "commune_code": envelope.commune_code,
        "village_id": envelope.village_id,
        "device_id": device_id,
        "operator": envelope.operator,
        "captured_at": envelope.captured_at,
        "received_at": clock.now(),
        "status": state.status,
    }
    connection = session.connection()
    if not _insert_application_row(session, values):
        return False
    for data in inline.values():
        blobs.put(data, session=session)  # fsynced before the rows naming it commit
    if state.parts:
        rows = [
            {
                "application_id": state.application_id,
                "name": part.name,
                "kind": part.kind,
                "sha256": part.sha256,
                "size": part.size,
                "priority": part.priority,
                "blob": part.blob,
            }
            for part in state.parts.values()
        ]
        connection.execute(_INSERT_PARTS[connection.dialect.name], rows)
    events = [Event(state.application_id, Stage.RECEIVED, "accepted", actor=f"device:{device_id}")]
    if state.status == ApplicationStatus.PROCESSING:
        events.append(Event(state.application_id, Stage.COMPLETE, "all_parts_received", actor=_INTAKE_ACTOR))
        jobs.enqueue(session=session, clock=clock, kind=FIRST_STAGE, subject_id=state.application_id)
    add_events(session, clock, events)
    return True


def _insert_application_row(session: Session, values: dict[str, Any]) -> bool:
    """Insert the application's row with the next change number; False if the id was taken."""
    connection = session.connection()
    if on_postgresql(connection) and connection.execute(_INSERT_NUMBERED, values).first():
        return True
    numbered = {**values, "change_seq": next_change_seq(session)}
    return connection.execute(_INSERT_IGNORING[connection.dialect.name]["application"], numbered).first() is not None


def _store_chunk(session: Session, clock: Clock, state: _State, chunk: _Chunk, existing: _Chunk | None) -> None:
    """Insert the chunk's row, or replace the row at its offset: the newest bytes win while incomplete.

    A concurrent insert at the same offset is resolved the same way: if it won with other bytes,
    ours replace them (ON CONFLICT DO NOTHING, then an UPDATE), never an error.
    """
    values = {
        "application_id": state.application_id,
        "part_name": chunk.part_name,
        "offset": chunk.offset,
        "sha256": chunk.sha256,
        "size": chunk.size,
        "received_at": clock.now(),
    }
    connection = session.connection()
    inserted = (
        existing is None
        and connection.execute(_INSERT_IGNORING[connection.dialect.name]["chunk"], values).first() is not None
    )
    if not inserted:
        replacement = {
            "b_application": state.application_id,
            "b_part": chunk.part_name,
            "b_offset": chunk.offset,
            "b_sha256": chunk.sha256,
            "b_size": chunk.size,
            "b_at": values["received_at"],
        }
        connection.execute(_REPLACE_CHUNK, replacement)
    if existing is not None:
        state.chunks.remove(existing)
    state.chunks.append(chunk)


def _drop_disagreeing(
    session: Session, blobs: BlobStore, state: _State, part_name: str, offset: int, data: bytes
) -> None:
    """The newest bytes win: drop stored chunks at other offsets that overlap these and disagree.

    Without this, a wrong chunk sent in one chunking would outlive the right bytes resent in
    another (its range is never resent at its offset) and the part could never complete.
    """
    end = offset + len(data)
    for chunk in state.chunks_of(part_name):
        if chunk.offset == offset or chunk.offset >= end or chunk.offset + chunk.size <= offset:
            continue
        start, stop = max(offset, chunk.offset), min(end, chunk.offset + chunk.size)
        if blobs.get(chunk.sha256)[start - chunk.offset : stop - chunk.offset] != data[start - offset : stop - offset]:
            session.execute(
                delete(PartChunk)
                .where(
                    PartChunk.application_id == state.application_id,
                    PartChunk.part_name == part_name,
                    PartChunk.offset == chunk.offset,
                )
                .execution_options(synchronize_session=False)
            )
            state.chunks.remove(chunk)


def _contiguous(chunks: Sequence[_Chunk], part_name: str) -> int:
    """How many bytes from the start are covered without a gap: where an upload resumes."""
    position = 0
    for chunk in sorted((c for c in chunks if c.part_name == part_name), key=lambda c: c.offset):
        if chunk.offset > position:
            break
        position = max(position, chunk.offset + chunk.size)
    return position


def _assemble(session: Session, blobs: BlobStore, state: _State, part: _Part, known: dict[str, bytes]) -> bool:
    """Join the part's chunks if they cover it; False when they do but the bytes hash wrong.

    ``known`` holds bytes already in memory by SHA-256 (the chunk just received), read from the
    blob store otherwise.
    """
    if part.blob is not None:
        return True
    chunks = state.chunks_of(part.name)
    if _contiguous(chunks, part.name) < part.size:
        return True
    assembled = bytearray()
    for chunk in chunks:
        if chunk.offset + chunk.size <= len(assembled):
            continue
        data = known.get(chunk.sha256) or blobs.get(chunk.sha256)
        assembled += data[len(assembled) - chunk.offset :]
    whole = bytes(assembled[: part.size])
    if hashlib.sha256(whole).hexdigest() != part.sha256:
        return False
    part.blob = blobs.put(whole, session=session)
    session.connection().execute(
        _SET_PART_BLOB, {"b_application": state.application_id, "b_part": part.name, "b_blob": part.blob}
    )
    return True


def _assemble_early_chunks(session: Session, blobs: BlobStore, state: _State) -> None:
    for part in state.parts.values():
        if not _assemble(session, blobs, state, part, {}):
            # Chunks that came before the envelope and do not match its manifest: the kit resends them.
            session.execute(
                delete(PartChunk)
                .where(PartChunk.application_id == state.application_id, PartChunk.part_name == part.name)
                .execution_options(synchronize_session=False)
            )
            state.chunks = [c for c in state.chunks if c.part_name != part.name]


def _complete_if_whole(session: Session, clock: Clock, state: _State) -> None:
    if state.status != ApplicationStatus.RECEIVING:
        return
    if state.first_parts_whole():
        state.status = ApplicationStatus.PROCESSING
        _TO_PROCESSING.execute(session, {"b_application": state.application_id})
        loaded = session.identity_map.get(identity_key(Application, state.application_id))
        if loaded is not None:  # an Application this session holds must not show the old status
            session.expire(loaded, ["status", "change_seq"])
        add_event(session, clock, state.application_id, Stage.COMPLETE, "all_parts_received", actor=_INTAKE_ACTOR)
        jobs.enqueue(session=session, clock=clock, kind=FIRST_STAGE, subject_id=state.application_id)
