"""Tables of the campaign: the campaign, versioned targets, teams, assignments, kits and visits.

The figures (captured, issued, coverage, pace) are not stored here: they are counted from the
enrollment and account records by set-based queries (``campaign/figures.py``), so they cannot drift
from the records they describe. The indexes those queries need on the application table are
declared here, next to the queries' owner.
"""

from __future__ import annotations

import datetime as dt
from enum import StrEnum

from sqlalchemy import (
    CheckConstraint,
    Date,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from civicid.accounts.models import EidAccount
from civicid.core.database import Base
from civicid.core.types import UTCDateTime, str_enum
from civicid.enrollment.models import Application

# Monday to Saturday: the commune's teams rest on Sunday. Python's weekday numbers (Monday is 0).
DEFAULT_WORKING_DAYS = "012345"


class Organisation(StrEnum):
    """Where a team member comes from (DOMAIN.md: the commune police and the mass organisations)."""

    POLICE = "police"
    YOUTH_UNION = "youth_union"
    WOMENS_UNION = "womens_union"
    VILLAGE_HEAD = "village_head"
    LOCAL_SECURITY = "local_security"


class VisitOutcome(StrEnum):
    DONE = "done"
    ABSENT = "absent"
    REFUSED = "refused"
    NO_SMARTPHONE = "no_smartphone"
    NO_SIGNAL = "no_signal"
    MOVED = "moved"
    DECEASED = "deceased"
    OTHER = "other"


class Campaign(Base):
    __tablename__ = "campaign"
    __table_args__ = (
        UniqueConstraint("commune_code", "name"),
        CheckConstraint("deadline >= start_date", name="dates"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    commune_code: Mapped[str] = mapped_column(ForeignKey("commune.code"), index=True)
    name: Mapped[str] = mapped_column(String(120))
    start_date: Mapped[dt.date] = mapped_column(Date)
    deadline: Mapped[dt.date] = mapped_column(Date)
    # The weekdays the teams work, as Python weekday digits ("012345": Monday to Saturday).
    working_days: Mapped[str] = mapped_column(String(7), default=DEFAULT_WORKING_DAYS)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    created_by: Mapped[str] = mapped_column(String(100))


class VillageTarget(Base):
    """One version of a village's target; the highest version is the one in force.

    ``adults`` must hold level 2 (14 and over), ``under_6`` need a card through a parent; ``age_6_14``
    enroll on request and are counted, not targeted. ``source`` says where the numbers came from: the
    registry, or a household listing round that corrected it (field-campaign.md §8.3).
    """

    __tablename__ = "village_target"
    __table_args__ = (UniqueConstraint("campaign_id", "village_id", "version"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaign.id"))
    village_id: Mapped[int] = mapped_column(ForeignKey("village.id"), index=True)
    version: Mapped[int] = mapped_column(Integer)
    adults: Mapped[int] = mapped_column(Integer)
    age_6_14: Mapped[int] = mapped_column(Integer)
    under_6: Mapped[int] = mapped_column(Integer)
    source: Mapped[str] = mapped_column(String(20))
    note: Mapped[str | None] = mapped_column(String(200))
    set_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    set_by: Mapped[str] = mapped_column(String(100))


class Team(Base):
    __tablename__ = "campaign_team"
    __table_args__ = (UniqueConstraint("campaign_id", "name"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaign.id"))
    name: Mapped[str] = mapped_column(String(80))
    # The team's field kit; a kit serves one team of a campaign at a time.
    device_id: Mapped[str | None] = mapped_column(String(64), index=True)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())


class TeamMember(Base):
    __tablename__ = "campaign_team_member"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    team_id: Mapped[int] = mapped_column(ForeignKey("campaign_team.id"), index=True)
    name: Mapped[str] = mapped_column(String(120))
    organisation: Mapped[Organisation] = mapped_column(str_enum(Organisation))
    # The member's staff login, when they have one (a police officer operating the kit).
    username: Mapped[str | None] = mapped_column(String(60))


class Assignment(Base):
    """A team sent to a village, or to one household, from ``start`` to ``end`` inclusive.

    Reassignment never deletes: the old row is withdrawn (``withdrawn_at``), so the kit that held it
    loses the work at its next sync and the history of who was sent where stays.
    """

    __tablename__ = "campaign_assignment"
    __table_args__ = (
        CheckConstraint("(village_id IS NULL) <> (household_id IS NULL)", name="one_target"),
        CheckConstraint("end_date >= start_date", name="dates"),
        Index("ix_campaign_assignment_device", "device_id", "start_date"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    team_id: Mapped[int] = mapped_column(ForeignKey("campaign_team.id"), index=True)
    # Denormalised from the team when assigned: the kit that receives the work.
    device_id: Mapped[str | None] = mapped_column(String(64))
    village_id: Mapped[int | None] = mapped_column(ForeignKey("village.id"), index=True)
    household_id: Mapped[int | None] = mapped_column(ForeignKey("household.id"))
    start_date: Mapped[dt.date] = mapped_column(Date)
    end_date: Mapped[dt.date] = mapped_column(Date)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    created_by: Mapped[str] = mapped_column(String(100))
    withdrawn_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())


class KitState(Base):
    """What the server knows of one kit: its assignment version and its last sync."""

    __tablename__ = "campaign_kit"

    device_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    # Bumped on every change to the kit's assignments; the kit compares it at each sync.
    assignment_version: Mapped[int] = mapped_column(Integer, default=0)
    last_sync_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    pending_captures: Mapped[int] = mapped_column(Integer, default=0)
    oldest_unsent_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())


class Visit(Base):
    """One visit outcome from a kit; the id is made on the kit, so a resent report is stored once."""

    __tablename__ = "campaign_visit"
    __table_args__ = (
        Index("ix_campaign_visit_village_at", "village_id", "visited_at"),
        Index("ix_campaign_visit_household", "household_id", "visited_at"),
    )

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    device_id: Mapped[str] = mapped_column(String(64))
    operator: Mapped[str] = mapped_column(String(60))
    household_id: Mapped[int] = mapped_column(ForeignKey("household.id"))
    # Denormalised from the household, so a village's visits are one index range.
    village_id: Mapped[int] = mapped_column(ForeignKey("village.id"))
    person_id: Mapped[int | None] = mapped_column(ForeignKey("person.id"), index=True)
    outcome: Mapped[VisitOutcome] = mapped_column(str_enum(VisitOutcome))
    note: Mapped[str | None] = mapped_column(Text)
    visited_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    received_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())


class VillageHead(Base):
    """A committee login bound to one village: the village head sees that village only."""

    __tablename__ = "campaign_village_head"

    staff_account_id: Mapped[int] = mapped_column(ForeignKey("staff_account.id"), primary_key=True)
    village_id: Mapped[int] = mapped_column(ForeignKey("village.id"))


# The figures count a commune's applications by village and capture day; this index answers those
# counts from the index alone on PostgreSQL (the other columns ride along with INCLUDE).
Index("ix_application_village", Application.village_id)
Index("ix_eid_account_activated", EidAccount.activated_at)
Index(
    "ix_application_campaign",
    Application.commune_code,
    Application.captured_at,
    postgresql_include=["village_id", "status", "application_type", "decided_at", "device_id"],
)

__all__ = [
    "Assignment",
    "Campaign",
    "KitState",
    "Organisation",
    "Team",
    "TeamMember",
    "VillageHead",
    "VillageTarget",
    "Visit",
    "VisitOutcome",
]
