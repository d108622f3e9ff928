"""The sync protocol ``civicid-field-sync/1``: what a kit sends and receives in one round trip.

One request does both directions (``POST /api/v1/field/sync``): on a 2G link each round trip costs
about 300 ms, so the kit's visits and its outbox report travel with its down-sync request, and the
answer carries everything that changed since the kit's cursor. Packets themselves go through the
intake endpoints (``/api/v1/enrollment/intake``), which are idempotent on their own.

The cursor is opaque to the kit: it stores what the server returned and sends it back.
"""

from __future__ import annotations

import datetime as dt

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from civicid.core.inputs import MAX_ROW_ID, RowId
from civicid.protocol.codes import VisitOutcome
from civicid.protocol.packet import UUID7_PATTERN

SYNC_FORMAT = "civicid-field-sync/1"
VISITS_PER_SYNC = 500


class VisitIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    id: str = Field(pattern=UUID7_PATTERN)
    household_id: RowId
    person_id: RowId | None = None
    outcome: VisitOutcome
    note: str | None = Field(default=None, max_length=300)
    operator: str = Field(min_length=1, max_length=60)
    visited_at: AwareDatetime


class SyncIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    format: str = Field(default=SYNC_FORMAT, pattern=r"^civicid-field-sync/1$")
    cursor: str | None = Field(default=None, max_length=400)
    visits: list[VisitIn] = Field(default_factory=list, max_length=VISITS_PER_SYNC)
    pending_captures: int = Field(default=0, ge=0, le=MAX_ROW_ID)
    oldest_unsent_at: AwareDatetime | None = None


class VillageOut(BaseModel):
    id: int
    name: str
    signal: str


class HouseholdOut(BaseModel):
    id: int
    village_id: int
    number: str
    address: str


class PersonOut(BaseModel):
    """A resident as capture needs them; ``present`` False tells the kit to drop them (moved, died)."""

    id: int
    household_id: int
    village_id: int
    id_number: str
    full_name: str
    date_of_birth: dt.date
    sex: str
    phone: str | None
    has_smartphone: bool
    relation_to_head: str
    present: bool
    enrollment_status: str | None


class AssignmentOut(BaseModel):
    version: int
    team: str | None
    village_ids: list[int]
    household_ids: list[int]


class ApplicationStatusOut(BaseModel):
    application_id: str
    status: str
    status_reason: str | None


class EnrollmentStatusOut(BaseModel):
    """A resident's latest application status changed (whichever kit captured it)."""

    person_id: int
    status: str


class SyncOut(BaseModel):
    format: str = SYNC_FORMAT
    cursor: str
    server_time: dt.datetime
    full: bool = Field(description="True: the extract replaces the kit's (its assignment changed).")
    assignment: AssignmentOut
    villages: list[VillageOut]
    households: list[HouseholdOut]
    persons: list[PersonOut]
    applications: list[ApplicationStatusOut]
    enrollment: list[EnrollmentStatusOut] = Field(
        default_factory=list, description="Residents whose application status changed since the cursor."
    )
    more_applications: bool = Field(description="More status changes wait: sync again.")
    visits_stored: int
    visits_refused: list[str] = Field(
        default_factory=list, description="Visits the server will never store (another commune's household…)."
    )
