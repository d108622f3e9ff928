"""The server's side of a kit's sync: take its visits and report, answer what changed since its cursor.

Scope is least privilege: a kit receives the residents of the villages and households assigned to
it today (``campaign.assignments``), with only the fields capture needs, and the statuses of the
applications it captured itself. When the set of places assigned to it changes (a reassignment, or
another day with other villages) the answer is ``full``: the kit replaces its extract, so work
withdrawn from it leaves the kit at its next sync. The same places on another day are no reason to
send them again.

The cursor (``civicid-field-cursor/1``, base64url JSON, opaque to the kit) holds:

- ``seq``: the last application ``change_seq`` the kit applied (a server sequence, so nothing is missed);
- ``scope``: a digest of the villages and households its extract was made for;
- ``reg``: the server time of that extract. The registry keeps ``updated_at`` but no change sequence,
  so incremental extracts read persons updated since ``reg`` minus :data:`REGISTRY_OVERLAP` — a window
  wider than any transaction — and the kit's upserts make the overlap harmless.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import hashlib
import json
from typing import Any

from pydantic import BaseModel, ConfigDict, ValidationError
from sqlalchemy.orm import Session

from civicid.campaign import assignments, kits, visits
from civicid.campaign.errors import InvalidVisit
from civicid.core.audit import Actor
from civicid.core.clock import Clock
from civicid.devices.service import DeviceRead
from civicid.enrollment import kit_view
from civicid.protocol.field_sync import (
    ApplicationStatusOut,
    AssignmentOut,
    EnrollmentStatusOut,
    HouseholdOut,
    PersonOut,
    SyncIn,
    SyncOut,
    VillageOut,
    VisitIn,
)
from civicid.registry import service as registry
from civicid.registry.codes import ResidenceStatus
from civicid.registry.schemas import PersonRead

CURSOR_FORMAT = 2
REGISTRY_OVERLAP = dt.timedelta(minutes=10)
_LIVING_HERE = {ResidenceStatus.PRESENT, ResidenceStatus.WORKING_AWAY}


class Cursor(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    v: int = CURSOR_FORMAT
    seq: int = 0
    vseq: int = 0  # the last change_seq of the villages' applications (any kit's) the kit was told of
    scope: str | None = None
    reg: dt.datetime | None = None

    def encode(self) -> str:
        raw = json.dumps(self.model_dump(mode="json"), separators=(",", ":"), sort_keys=True).encode()
        return base64.urlsafe_b64encode(raw).decode().rstrip("=")

    @classmethod
    def decode(cls, text: str | None) -> Cursor:
        """The cursor, or the empty one for a cursor of another format or a damaged one.

        An unreadable cursor only costs a full extract and the statuses again from the start: a kit
        must never be locked out of syncing by what it stored (a server upgrade, a damaged database).
        """
        if not text:
            return cls()
        try:
            raw = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
            cursor = cls.model_validate(json.loads(raw))
        except (binascii.Error, ValueError, ValidationError):
            return cls()
        return cursor if cursor.v == CURSOR_FORMAT else cls()


def sync_device(*, session: Session, clock: Clock, device: DeviceRead, request: SyncIn) -> SyncOut:
    """Store the kit's visits and report, and answer with what changed since its cursor."""
    cursor = Cursor.decode(request.cursor)
    stored, refused = _store_visits(session, clock, device, request.visits)
    kits.record_kit_sync(
        session=session,
        clock=clock,
        device_id=device.id,
        pending_captures=request.pending_captures,
        oldest_unsent_at=request.oldest_unsent_at,
    )
    assignment = assignments.kit_assignment(session=session, device_id=device.id, day=clock.today())
    scope = _scope_digest(assignment.village_ids, assignment.household_ids)
    full = cursor.scope != scope or cursor.reg is None
    since = None if full or cursor.reg is None else cursor.reg - REGISTRY_OVERLAP
    extract = registry.capture_extract(
        session=session,
        clock=clock,
        actor=Actor("device", device.id),
        village_ids=assignment.village_ids,
        household_ids=assignment.household_ids,
        changed_since=since,
    )
    statuses = kit_view.person_statuses(session=session, person_ids=[p.id for p in extract.persons])
    changes = kit_view.device_application_changes(session=session, device_id=device.id, since_seq=cursor.seq)
    last_seq = changes[-1].change_seq if changes else cursor.seq
    if full:
        enrollment: list[tuple[int, str, int]] = []
        village_seq = kit_view.latest_change_seq(session=session)
    else:
        enrollment = kit_view.village_enrollment_changes(
            session=session, village_ids=assignment.village_ids, since_seq=cursor.vseq
        )
        village_seq = enrollment[-1][2] if enrollment else cursor.vseq
    next_cursor = Cursor(seq=last_seq, vseq=village_seq, scope=scope, reg=clock.now())
    return SyncOut(
        cursor=next_cursor.encode(),
        server_time=clock.now(),
        full=full,
        assignment=AssignmentOut(
            version=assignment.version,
            team=assignment.team,
            village_ids=sorted(assignment.village_ids),
            household_ids=sorted(assignment.household_ids),
        ),
        villages=[VillageOut(id=v.id, name=v.name, signal=v.signal.value) for v in extract.villages],
        households=[HouseholdOut(**h.model_dump(exclude={"members"})) for h in extract.households],
        persons=[_person_out(p, statuses.get(p.id)) for p in extract.persons],
        applications=[ApplicationStatusOut(**_change(c)) for c in changes],
        enrollment=[EnrollmentStatusOut(person_id=p, status=s) for p, s, _ in enrollment],
        more_applications=len(changes) == kit_view.CHANGES_PER_SYNC or len(enrollment) == kit_view.CHANGES_PER_SYNC,
        visits_stored=len(stored),
        visits_refused=refused,
    )


def _store_visits(
    session: Session, clock: Clock, device: DeviceRead, reported: list[VisitIn]
) -> tuple[list[str], list[str]]:
    """Store the kit's visits; (ids stored, ids refused). A refused visit never blocks the others.

    A kit reports only for households of its own commune. A report the campaign refuses (a person
    no longer in that household) is refused alone, in its own savepoint, and named in the answer so
    that the kit stops sending it: one bad report must not hold a kit's sync back for ever.
    """
    communes = registry.communes_of_households(session=session, household_ids={v.household_id for v in reported})
    refused = [v.id for v in reported if communes.get(v.household_id) != device.commune_code]
    reports = [_report(device, v) for v in reported if communes.get(v.household_id) == device.commune_code]
    try:
        with session.begin_nested():
            return visits.record_visits(session=session, clock=clock, reports=reports), refused
    except InvalidVisit:
        stored: list[str] = []
        for report in reports:
            try:
                with session.begin_nested():
                    stored += visits.record_visits(session=session, clock=clock, reports=[report])
            except InvalidVisit:
                refused.append(report.id)
        return stored, refused


def _scope_digest(village_ids: frozenset[int], household_ids: frozenset[int]) -> str:
    places = json.dumps([sorted(village_ids), sorted(household_ids)], separators=(",", ":"))
    return hashlib.sha256(places.encode()).hexdigest()[:16]


def _report(device: DeviceRead, visit: VisitIn) -> visits.VisitReport:
    return visits.VisitReport(
        id=visit.id,
        device_id=device.id,
        operator=visit.operator,
        household_id=visit.household_id,
        person_id=visit.person_id,
        outcome=visit.outcome,
        note=visit.note,
        visited_at=visit.visited_at,
    )


def _person_out(person: PersonRead, status: str | None) -> PersonOut:
    return PersonOut(
        id=person.id,
        household_id=person.household_id,
        village_id=person.village_id,
        id_number=person.id_number,
        full_name=person.full_name,
        date_of_birth=person.date_of_birth,
        sex=person.sex.value,
        phone=person.phone,
        has_smartphone=person.has_smartphone,
        relation_to_head=person.relation_to_head,
        present=person.residence_status in _LIVING_HERE,
        enrollment_status=status,
    )


def _change(change: kit_view.ApplicationChange) -> dict[str, Any]:
    return {"application_id": change.application_id, "status": change.status, "status_reason": change.status_reason}
