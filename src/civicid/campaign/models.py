"""Tables of the campaign: the campaign, versioned targets, teams, assignments, kits and visits.

The figures (captured, issued, coverage, pace) are tallies of the enrollment and visit records,
kept incrementally (``campaign/tally.py``, decision 0011): the application tally is brought up to
date from the applications whose ``change_seq`` passed the tally's mark, the visit tally in the
same transaction as the visits. The indexes the direct counts need on the application table are
declared here, next to the queries' owner.
"""

from __future__ import annotations

import datetime as dt
from enum import StrEnum

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    Date,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column

from civicid.core.database import Base
from civicid.core.types import UTCDateTime, str_enum
from civicid.protocol.codes import VisitOutcome

# Monday to Saturday: the commune's teams rest on Sunday. Python's weekday numbers (Monday is 0).
DEFAULT_WORKING_DAYS = "012345"


class Organisation(StrEnum):
    """Where a team member comes from (DOMAIN.md: the commune police and the mass organisations)."""

    POLICE = "police"
    YOUTH_UNION = "youth_union"
    WOMENS_UNION = "womens_union"
    VILLAGE_HEAD = "village_head"
    LOCAL_SECURITY = "local_security"


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


class TallyMark(Base):
    """How far a tally has read its source: the last application ``change_seq`` counted.

    Its row is also the tally's lock: a refresh starts by updating it, so two refreshes never count
    the same change twice. ``seq`` is -1 until the first (set-based) build.
    """

    __tablename__ = "campaign_tally_mark"

    name: Mapped[str] = mapped_column(String(40), primary_key=True)
    seq: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"))
    refreshed_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())


class ApplicationCell(Base):
    """How many applications share a commune, village, kit, capture day, type and counted status.

    The status is the application's as last counted (``CountedApplication``); the measures
    (captured, reached, approved, issued, children's cards, failed) are sums over these cells.
    ``decided`` tells an approved application still in processing from an undecided one.
    """

    __tablename__ = "campaign_application_cell"

    commune_code: Mapped[str] = mapped_column(String(5), primary_key=True)
    village_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    device_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    day: Mapped[dt.date] = mapped_column(Date, primary_key=True)
    application_type: Mapped[str] = mapped_column(String(20), primary_key=True)
    status: Mapped[str] = mapped_column(String(30), primary_key=True)
    decided: Mapped[bool] = mapped_column(Boolean, primary_key=True)
    n: Mapped[int] = mapped_column(Integer)


class CountedApplication(Base):
    """The status under which an application is counted in its cell.

    Only the status and the decision change after capture (commune, village, kit and capture time
    are the sealed envelope's), so this is all a refresh needs to take the application out of its
    old cell before adding it to the new one.
    """

    __tablename__ = "campaign_counted_application"

    application_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    status: Mapped[str] = mapped_column(String(30))
    decided: Mapped[bool] = mapped_column(Boolean)


class VisitCell(Base):
    """Visits of a village on a day: one row per outcome, and ``measure='households'`` for doors visited.

    Kept by :func:`civicid.campaign.visits.record_visits` in the transaction that stores the visits.
    """

    __tablename__ = "campaign_visit_cell"
    # The commune page's doors per day: 64 index-only ranges instead of every outcome's cells.
    __table_args__ = (
        Index(
            "ix_campaign_visit_cell_households",
            "village_id",
            "day",
            postgresql_include=["n"],
            postgresql_where=text("measure = 'households'"),
            sqlite_where=text("measure = 'households'"),
        ),
    )

    village_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    day: Mapped[dt.date] = mapped_column(Date, primary_key=True)
    measure: Mapped[str] = mapped_column(String(20), primary_key=True)
    n: Mapped[int] = mapped_column(Integer)


class VisitedHousehold(Base):
    """A household visited at least once on a day: its first insert counts one door in ``VisitCell``."""

    __tablename__ = "campaign_visited_household"

    village_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    day: Mapped[dt.date] = mapped_column(Date, primary_key=True)
    household_id: Mapped[int] = mapped_column(Integer, primary_key=True)


class ApplicationTotal(Base):
    """A village's applications by type and counted status, all kits and days together.

    The application cells summed over kits and days, moved by the same refresh in the same
    statements' transaction (``tally.py``): the province report and the commune's totals read a
    few rows per village instead of every day's cells.
    """

    __tablename__ = "campaign_application_total"

    commune_code: Mapped[str] = mapped_column(String(5), primary_key=True)
    village_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    application_type: Mapped[str] = mapped_column(String(20), primary_key=True)
    status: Mapped[str] = mapped_column(String(30), primary_key=True)
    decided: Mapped[bool] = mapped_column(Boolean, primary_key=True)
    n: Mapped[int] = mapped_column(Integer)


class VisitTotal(Base):
    """A village's visits by outcome over every day: the visit cells summed over days, kept beside them."""

    __tablename__ = "campaign_visit_total"

    village_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    outcome: Mapped[str] = mapped_column(String(20), primary_key=True)
    n: Mapped[int] = mapped_column(Integer)


class ActivationTotal(Base):
    """Activated level-2 accounts by the holder's village (decision 0016).

    Kept by database triggers that migration 0006 puts on ``eid_account`` (an account activated,
    deactivated, re-levelled, deleted) and ``person`` (a holder moving village), in the
    transaction that makes the change: the accounts capability stays unaware of the campaign, and
    the count equals the records at every commit. ``tally.rebuild_activations`` recounts it.
    """

    __tablename__ = "campaign_activation_total"

    village_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    n: Mapped[int] = mapped_column(Integer)


class CardGap(Base):
    """A resident from whose ``blocked_from`` day on has no valid ID card while 14 or over (decision 0016).

    One row per resident who is, or will be, in that state: the day they turn 14 if they hold no
    valid card, the day after their valid card expires if that is later, no row if a valid card
    never expires. "No card" on a day is then ``blocked_from <= day``, an index range per village,
    however the date moves. Kept by triggers of migration 0006 on ``person`` and ``id_card`` in the
    registry's own transactions; ``tally.rebuild_card_gaps`` recounts it.
    """

    __tablename__ = "campaign_card_gap"
    __table_args__ = (Index("ix_campaign_card_gap_village", "village_id", "blocked_from"),)

    person_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    village_id: Mapped[int] = mapped_column(Integer)
    blocked_from: Mapped[dt.date] = mapped_column(Date)


class VillageHead(Base):
    """A committee login bound to one village: the village head sees that village only."""

    __tablename__ = "campaign_village_head"

    staff_account_id: Mapped[int] = mapped_column(ForeignKey("staff_account.id"), primary_key=True)
    village_id: Mapped[int] = mapped_column(ForeignKey("village.id"))


__all__ = [
    "ActivationTotal",
    "ApplicationCell",
    "ApplicationTotal",
    "Assignment",
    "Campaign",
    "CardGap",
    "CountedApplication",
    "KitState",
    "Organisation",
    "TallyMark",
    "Team",
    "TeamMember",
    "VillageHead",
    "VillageTarget",
    "Visit",
    "VisitCell",
    "VisitTotal",
    "VisitedHousehold",
]
