"""One sync: send what the server lacks, then exchange visits and statuses (``civicid field sync``).

Order of work, chosen for a link that may die at any moment:

1. **Packets**, oldest capture first, several at a time (a 2G link's round trips overlap, its
   bandwidth is shared). For each: ``PUT`` the envelope with the small priority-0 parts not yet
   begun inline, as long as they fit in one chunk together (decision 0030: one round trip where
   there were four), then each other part's missing byte ranges in chunks, priority-0 parts before
   priority-1 ones (``decision 0008``). What the server's receipt says is the truth: parts it holds whole are
   marked and their sealed files removed; the rest resume from its ``received_bytes`` next time. A
   packet the server holds whole is not sent again: a sync makes no request it does not need.
2. **Exchange** (``POST /api/v1/field/sync``): visits and the outbox report up; assignment, registry
   extract and the statuses of this kit's applications down (``extract.py``).

A failure of one packet (a cut connection, a 5xx) schedules that packet's retry with growing,
jittered delays (``outbox.RetrySchedule``) and moves on; a failure of the link itself ends the sync
with the kit's own retry scheduled. Nothing here deletes an outbox row; sealed files go only when
the server holds the part or refused the application, and only once that is committed.

A sync never dies on the kit's own state: a part whose sealed file is missing is left out, the
envelope alone asks the server what it holds, and a part neither side has is reported as an
anomaly of that packet (``SyncReport.anomalies``) while the other packets go on.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import random
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

import httpx
from sqlalchemy import ColumnElement, delete, exists, func, insert, select, true, update
from sqlalchemy.orm import Session

from civicid.core.clock import Clock
from civicid.field.capture import unsent_captures
from civicid.field.kit import Kit, SealedPartMissing
from civicid.field.models import (
    KitHousehold,
    KitIdentity,
    KitPerson,
    KitVillage,
    KitVisit,
    OutboxItem,
    OutboxPart,
    OutboxState,
)
from civicid.field.outbox import SENDABLE, RetrySchedule, after_send_started, after_server_status, keeps_parts
from civicid.protocol.device_token import device_token
from civicid.protocol.field_sync import VISITS_PER_SYNC, SyncOut
from civicid.protocol.packet import parts_to_send_inline

INTAKE = "/api/v1/enrollment/intake/applications"
SYNC = "/api/v1/field/sync"
CHUNK_BYTES = 32 * 1024
_FATAL = {"unknown_device", "revoked_device", "invalid_device_token"}
# Refusals of parts sent inline (bytes damaged on the kit, or a server that takes no parts inline):
# the envelope goes again alone, and the parts in chunks, whose refusals say what to resend.
_INLINE_REFUSED = {"part_hash_mismatch", "unknown_part", "chunk_out_of_range", "validation_error"}


class LinkDown(Exception):
    """The server could not be reached, or answered 5xx: retry later."""


class DeviceRefused(Exception):
    """The server refuses this device (revoked, unknown): syncing again will not help."""


@dataclass
class SyncReport:
    packets_tried: int = 0
    packets_on_server: int = 0
    bytes_sent: int = 0
    statuses_applied: int = 0
    visits_sent: int = 0
    visits_refused: int = 0
    persons_received: int = 0
    errors: list[str] = field(default_factory=list)
    # Packets the kit cannot finish from its own state (a sealed file lost): no retry will help, the
    # operator must look; they do not make the sync incomplete.
    anomalies: list[str] = field(default_factory=list)

    @property
    def complete(self) -> bool:
        return not self.errors


@dataclass
class KitSync:
    """Syncs a kit through ``client`` (an ``httpx.Client`` whose base URL is the server)."""

    kit: Kit
    clock: Clock
    client: httpx.Client
    rng: random.Random = field(default_factory=random.Random)
    schedule: RetrySchedule = field(default_factory=RetrySchedule)
    chunk_bytes: int = CHUNK_BYTES
    concurrency: int = 3
    send_later_parts: bool = True  # False over a weak link: priority-1 parts wait for a better one

    def run(self, *, force: bool = True) -> SyncReport:
        """Sync once. ``force`` ignores the retry schedule (a person pressed "sync")."""
        report = SyncReport()
        with self.kit.transaction() as session:
            self.kit.sweep_orphans(session)
            identity = _identity(session)
            device_id, key = identity.device_id, self.kit.device_key()
        self._token = device_token(device_id=device_id, key=key, clock=self.clock)
        try:
            self._send_packets(report, force=force)
            self._exchange(report)
        except (LinkDown, DeviceRefused) as exc:
            report.errors.append(str(exc))
        self._record_outcome(report)
        return report

    # Packets ------------------------------------------------------------------------------------

    def _send_packets(self, report: SyncReport, *, force: bool) -> None:
        now = self.clock.now()
        with self.kit.transaction() as session:
            query = select(OutboxItem.application_id).where(self._has_something_to_send())
            if not force:
                query = query.where((OutboxItem.next_attempt_at.is_(None)) | (OutboxItem.next_attempt_at <= now))
            due = list(session.scalars(query.order_by(OutboxItem.captured_at)))
        if not due:
            return
        with ThreadPoolExecutor(max_workers=max(1, self.concurrency)) as pool:
            uploads = list(pool.map(self._send_one, due))
        for upload in uploads:
            report.packets_tried += 1
            report.bytes_sent += upload.sent
            report.packets_on_server += int(upload.on_server and upload.failure is None)
            if upload.failure is not None:
                report.errors.append(str(upload.failure))
            if upload.anomaly is not None:
                report.anomalies.append(f"{upload.application_id}: {upload.anomaly}")
        refused = next((u.failure for u in uploads if isinstance(u.failure, DeviceRefused)), None)
        if refused is not None:
            raise refused  # every other packet would be refused too: the sync stops here

    def _has_something_to_send(self) -> ColumnElement[bool]:
        """Packets the server still lacks something of: not sent yet, or a part it does not hold whole.

        An uploaded packet whose every part the server holds is not sent again: its statuses come
        down with the exchange. Sending it anyway made every sync one request per such packet longer
        (until its pipeline decided, days later), and a sync is complete only if all its requests
        succeed: through a link dropping 70 % of requests, a kit with ten such packets reported a
        complete sync about once in 560,000 tries (0.3 to the 11th; issue 18, item 12).
        """
        part_left = (
            exists()
            .where(OutboxPart.application_id == OutboxItem.application_id, OutboxPart.on_server.is_(False))
            .where(true() if self.send_later_parts else OutboxPart.priority == 0)
        )
        return OutboxItem.state.in_(SENDABLE - {OutboxState.UPLOADED}) | (
            (OutboxItem.state == OutboxState.UPLOADED) & part_left
        )

    def _send_one(self, application_id: str) -> _Upload:
        """Send one packet's missing bytes; the upload says what was sent, what the server holds, what failed."""
        upload = _Upload(self, application_id)
        try:
            upload.run()
        except (LinkDown, DeviceRefused) as exc:
            upload.failure = exc
        finally:
            upload.save()
        return upload

    # Exchange -----------------------------------------------------------------------------------

    def _exchange(self, report: SyncReport) -> None:
        more = True
        while more:
            with self.kit.transaction() as session:
                identity = _identity(session)
                visits = session.scalars(
                    select(KitVisit)
                    .where(KitVisit.synced.is_(False))
                    .order_by(KitVisit.visited_at)
                    .limit(VISITS_PER_SYNC)
                ).all()
                unsent = unsent_captures(session)
                body = {
                    "cursor": identity.cursor.get("value"),
                    "visits": [_visit_json(v) for v in visits],
                    "pending_captures": len(unsent),
                    "oldest_unsent_at": unsent[0].isoformat() if unsent else None,
                }
                visit_ids = [v.id for v in visits]
            answer = SyncOut.model_validate(self._call("POST", SYNC, json=body))
            received_at = self.clock.now()
            with self.kit.transaction() as session:
                session.execute(update(KitVisit).where(KitVisit.id.in_(visit_ids)).values(synced=True))
                report.statuses_applied += apply_down_sync(self.kit, session, answer, received_at)
            report.visits_sent += len(visit_ids)
            report.visits_refused += len(answer.visits_refused)
            report.persons_received += len(answer.persons)
            more = answer.more_applications or len(visit_ids) == VISITS_PER_SYNC

    def _record_outcome(self, report: SyncReport) -> None:
        with self.kit.transaction() as session:
            identity = _identity(session)
            if report.complete:
                identity.sync_attempts, identity.next_sync_at, identity.last_sync_error = 0, None, None
                return
            identity.sync_attempts += 1
            identity.next_sync_at = self.clock.now() + self.schedule.delay(identity.sync_attempts, self.rng)
            identity.last_sync_error = report.errors[-1][:300]

    # HTTP ---------------------------------------------------------------------------------------

    def _call(self, method: str, path: str, *, signed: bool = True, **kwargs: Any) -> Any:
        """One request; ``signed`` adds the device token (intake needs none: packets carry their signature,
        and leaving the ~400-byte token out saves a tenth of what an application costs on 2G)."""
        headers = {**({"Authorization": f"Bearer {self._token}"} if signed else {}), **kwargs.pop("headers", {})}
        try:
            response = self.client.request(method, path, headers=headers, **kwargs)
        except httpx.HTTPError as exc:
            raise LinkDown(f"link down: {exc.__class__.__name__}") from exc
        if response.status_code >= 500:
            raise LinkDown(f"server error {response.status_code}")
        if response.status_code >= 400:
            problem = _problem(response)
            if problem.get("code") in _FATAL:
                raise DeviceRefused(f"device refused: {problem.get('detail', problem.get('code'))}")
            raise _Refused(response.status_code, problem)
        try:
            return response.json()
        except ValueError as exc:
            raise LinkDown("an answer that is not JSON (cut short?)") from exc


class _Refused(Exception):
    def __init__(self, status: int, problem: dict[str, Any]) -> None:
        super().__init__(problem.get("detail", ""))
        self.status, self.problem = status, problem

    @property
    def code(self) -> str:
        return str(self.problem.get("code", ""))


class _Upload:
    """One packet's upload: reads its rows, talks to intake, writes what it learnt in one transaction."""

    def __init__(self, sync: KitSync, application_id: str) -> None:
        self.sync, self.kit, self.application_id = sync, sync.kit, application_id
        self.sent, self.on_server = 0, False
        self.failure: LinkDown | DeviceRefused | None = None
        self.missing: set[str] = set()  # parts whose sealed file is not on the kit
        with self.kit.transaction() as session:
            item = session.get(OutboxItem, application_id)
            assert item is not None  # noqa: S101 - selected just before
            self.envelope, self.state = item.envelope_jws, after_send_started(item.state)
            self.parts = {
                p.name: p
                for p in session.scalars(select(OutboxPart).where(OutboxPart.application_id == application_id))
            }
            for part in self.parts.values():
                session.expunge(part)
        self.server_status: str | None = None
        self.server_reason: str | None = None

    def run(self) -> None:
        inline = self._inline_parts()
        try:
            try:
                receipt = self._put_envelope(inline)
            except _Refused as refused:
                if not inline or refused.code not in _INLINE_REFUSED:
                    raise
                inline = {}
                receipt = self._put_envelope(inline)
        except _Refused as refused:
            self._refused(refused)
            return
        self.sent += sum(len(data) for data in inline.values())
        self._learn(receipt)
        order = sorted(self.parts.values(), key=lambda p: (p.priority, p.name))
        for part in order:
            if part.on_server or (part.priority > 0 and not self.sync.send_later_parts):
                continue
            if not keeps_parts(after_server_status(self.state, self.server_status)):
                break
            self._send_part(part)

    def _inline_parts(self) -> dict[str, bytes]:
        """The parts needed first, not yet begun, that fit in one chunk together: they go with the envelope."""
        fresh = [(p.name, p.priority, p.size) for p in self.parts.values() if not p.on_server and p.sent_bytes == 0]
        inline = {}
        for name in sorted(parts_to_send_inline(fresh, self.sync.chunk_bytes)):
            data = self._read(name)
            if data is None:
                return {}  # the envelope goes alone: its receipt says what the server already holds
            inline[name] = data
        return inline

    def _read(self, part_name: str, offset: int = 0, size: int | None = None) -> bytes | None:
        """A part's sealed bytes, or None (noted in :attr:`missing`) when its file is not on the kit."""
        try:
            return self.kit.read_sealed(self.application_id, part_name, offset, size)
        except SealedPartMissing:
            self.missing.add(part_name)
            return None

    @property
    def anomaly(self) -> str | None:
        """What the kit cannot finish from its own state: parts neither its disk nor the server holds."""
        lost = sorted(name for name in self.missing if not self.parts[name].on_server)
        return f"sealed parts missing on the kit and not on the server: {', '.join(lost)}" if lost else None

    def _put_envelope(self, inline: dict[str, bytes]) -> Any:
        body: dict[str, Any] = {"envelope": self.envelope}
        if inline:
            body["parts"] = {name: base64.b64encode(data).decode("ascii") for name, data in inline.items()}
        return self.sync._call("PUT", f"{INTAKE}/{self.application_id}", signed=False, json=body)

    def _send_part(self, part: OutboxPart) -> None:
        offset = part.sent_bytes
        while not part.on_server and offset < part.size:
            data = self._read(part.name, offset, self.sync.chunk_bytes)
            if data is None:
                return  # an anomaly of this packet (see ``anomaly``); its other parts still go
            digest = base64.b64encode(hashlib.sha256(data).digest()).decode()
            try:
                receipt = self.sync._call(
                    "PUT",
                    f"{INTAKE}/{self.application_id}/parts/{part.name}",
                    signed=False,
                    params={"offset": offset},
                    content=data,
                    headers={"Content-Type": "application/octet-stream", "Content-Digest": f"sha-256=:{digest}:"},
                )
            except _Refused as refused:
                if refused.code == "part_already_complete":
                    part.on_server = True
                    return
                if refused.code in {"part_hash_mismatch", "chunk_checksum_mismatch"}:
                    part.sent_bytes = 0  # the server kept nothing of this part's last bytes: start it over
                    raise LinkDown(f"part {part.name} arrived damaged; it will be sent again") from refused
                raise LinkDown(f"the server refused part {part.name}: {refused.code}") from refused
            self.sent += len(data)
            self._learn(receipt)
            offset = max(part.sent_bytes, offset + len(data)) if not part.on_server else part.size

    def _learn(self, receipt: dict[str, Any]) -> None:
        """Take the server's word: its status, and where each part stands."""
        self.server_status = receipt.get("status")
        for progress in receipt.get("parts", []):
            part = self.parts.get(progress["name"])
            if part is None:
                continue
            part.on_server = bool(progress["complete"])
            part.sent_bytes = int(progress["received_bytes"])
        first_complete = all(p.on_server for p in self.parts.values() if p.priority == 0)
        self.on_server = self.server_status is not None and self.server_status != "receiving" and first_complete

    def _refused(self, refused: _Refused) -> None:
        if refused.code == "different_packet":
            self.server_status, self.server_reason = "rejected", "different_packet"
            return
        if refused.status in (401, 403):
            raise DeviceRefused(f"device refused: {refused.code}")
        # The server will never accept this envelope (invalid, or a rule it breaks): say so.
        self.server_status, self.server_reason = "rejected", refused.code or f"http_{refused.status}"

    def save(self) -> None:
        with self.kit.transaction() as session:
            item = session.get(OutboxItem, self.application_id)
            assert item is not None  # noqa: S101
            item.state = after_server_status(self.state, self.server_status)
            if self.server_reason:
                item.server_message = self.server_reason
            if self.server_status:
                item.server_status = self.server_status
            for part in self.parts.values():
                stored = session.get(OutboxPart, (self.application_id, part.name))
                assert stored is not None  # noqa: S101
                stored.sent_bytes, stored.on_server = part.sent_bytes, part.on_server
                if part.on_server:
                    self.kit.remove_sealed_after_commit(session, self.application_id, part.name)
            problem = str(self.failure) if self.failure is not None else self.anomaly
            if problem is None:
                item.attempts, item.next_attempt_at, item.last_error = 0, None, None
            else:
                item.attempts += 1
                item.next_attempt_at = self.sync.clock.now() + self.sync.schedule.delay(item.attempts, self.sync.rng)
                item.last_error = problem[:300]
            settle(self.kit, session, item, self.sync.clock.now())


def settle(kit: Kit, session: Session, item: OutboxItem, now: dt.datetime) -> None:
    """Drop sealed parts the server no longer wants; note when the server acknowledged everything."""
    if not keeps_parts(item.state):
        kit.remove_sealed_after_commit(session, item.application_id)
        return
    if item.state is OutboxState.ACCEPTED and item.acknowledged_at is None:
        left = session.scalar(
            select(func.count()).where(
                OutboxPart.application_id == item.application_id, OutboxPart.on_server.is_(False)
            )
        )
        if not left:
            item.acknowledged_at = now


def apply_down_sync(kit: Kit, session: Session, answer: SyncOut, received_at: dt.datetime) -> int:
    """Apply one down-sync answer: the extract, the assignment, the statuses, the cursor. Returns statuses applied."""
    identity = _identity(session)
    if answer.full:
        _replace_extract(session, answer)
    else:
        _merge_extract(session, answer)
    applied = 0
    for change in answer.applications:
        item = session.get(OutboxItem, change.application_id)
        if item is None:
            continue
        item.state = after_server_status(item.state, change.status)
        item.server_status, item.server_message = change.status, change.status_reason or item.server_message
        settle(kit, session, item, received_at)
        applied += 1
    identity.cursor = {"value": answer.cursor}
    identity.assignment_version = answer.assignment.version
    identity.last_sync_at = received_at
    identity.last_server_time, identity.last_server_time_local = answer.server_time, received_at
    return applied


def _replace_extract(session: Session, answer: SyncOut) -> None:
    """A full extract replaces what the kit holds, in bulk (a village's hundreds of rows at once)."""
    for table in (KitPerson, KitHousehold, KitVillage):
        session.execute(delete(table))
    if answer.villages:
        session.execute(insert(KitVillage), [v.model_dump() for v in answer.villages])
    if answer.households:
        session.execute(insert(KitHousehold), [h.model_dump() for h in answer.households])
    persons = [p.model_dump(exclude={"present"}) for p in answer.persons if p.present]
    if persons:
        session.execute(insert(KitPerson), persons)


def _merge_extract(session: Session, answer: SyncOut) -> None:
    """An incremental extract: the few rows that changed, each inserted or updated; the departed dropped."""
    for village in answer.villages:
        session.merge(KitVillage(**village.model_dump()))
    for household in answer.households:
        session.merge(KitHousehold(**household.model_dump()))
    for person in answer.persons:
        if person.present:
            session.merge(KitPerson(**person.model_dump(exclude={"present"})))
        else:
            session.execute(delete(KitPerson).where(KitPerson.id == person.id))
    for change in answer.enrollment:
        session.execute(
            update(KitPerson).where(KitPerson.id == change.person_id).values(enrollment_status=change.status)
        )


def _identity(session: Session) -> KitIdentity:
    identity = session.get(KitIdentity, 1)
    assert identity is not None  # noqa: S101 - Kit.open checked it
    return identity


def _visit_json(visit: KitVisit) -> dict[str, Any]:
    return {
        "id": visit.id,
        "household_id": visit.household_id,
        "person_id": visit.person_id,
        "outcome": visit.outcome,
        "note": visit.note,
        "operator": visit.operator,
        "visited_at": visit.visited_at.isoformat(),
    }


def _problem(response: httpx.Response) -> dict[str, Any]:
    try:
        body = response.json()
    except ValueError:
        return {"code": f"http_{response.status_code}"}
    return body if isinstance(body, dict) else {"code": f"http_{response.status_code}"}
