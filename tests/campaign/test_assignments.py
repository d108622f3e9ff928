"""What a field kit is assigned, and how reassignment withdraws work from the old kit."""

from __future__ import annotations

import datetime as dt

import pytest
from tests.factories import COMMITTEE, SmallCommune

from civicid.campaign import service
from civicid.campaign.assignments import assign, assign_villages_to_kit, kit_assignment, withdraw
from civicid.campaign.errors import InvalidCampaignInput
from civicid.core.database import unit_of_work
from civicid.core.runtime import Context

DAY = dt.date(2026, 11, 28)


def test_a_kit_never_assigned_holds_nothing(context: Context) -> None:
    with unit_of_work(context.database.sessions) as session:
        held = kit_assignment(session=session, device_id="kit-unknown", day=DAY)
    assert (held.team, held.village_ids, held.household_ids, held.version) == (None, frozenset(), frozenset(), 0)


def test_a_kit_holds_its_villages_on_the_assigned_days_only(context: Context, commune: SmallCommune) -> None:
    first, second = commune.villages[:2]
    with unit_of_work(context.database.sessions) as session:
        assign_villages_to_kit(
            session=session,
            clock=context.clock,
            actor=COMMITTEE,
            device_id="kit-1",
            village_ids=[first, second],
            start=DAY,
            end=DAY + dt.timedelta(days=2),
            team_name="Đội 1",
        )
    with unit_of_work(context.database.sessions) as session:
        during = kit_assignment(session=session, device_id="kit-1", day=DAY + dt.timedelta(days=2))
        after = kit_assignment(session=session, device_id="kit-1", day=DAY + dt.timedelta(days=3))
    assert during.village_ids == {first, second}
    assert during.team == "Đội 1"
    assert during.version >= 1
    assert after.village_ids == frozenset()


def test_reassignment_withdraws_the_village_from_the_old_kit(context: Context, commune: SmallCommune) -> None:
    village = commune.villages[0]
    with unit_of_work(context.database.sessions) as session:
        for kit in ("kit-a", "kit-b"):
            assign_villages_to_kit(
                session=session,
                clock=context.clock,
                actor=COMMITTEE,
                device_id=kit,
                village_ids=[village] if kit == "kit-a" else [commune.villages[1]],
                start=DAY,
                end=DAY + dt.timedelta(days=9),
            )
        before = kit_assignment(session=session, device_id="kit-a", day=DAY)
    with unit_of_work(context.database.sessions) as session:
        assign_villages_to_kit(
            session=session,
            clock=context.clock,
            actor=COMMITTEE,
            device_id="kit-b",
            village_ids=[village],
            start=DAY + dt.timedelta(days=3),
            end=DAY + dt.timedelta(days=5),
        )
    with unit_of_work(context.database.sessions) as session:
        old_kit = {
            d: kit_assignment(session=session, device_id="kit-a", day=DAY + dt.timedelta(days=d)) for d in (2, 3, 5, 6)
        }
        new_kit = kit_assignment(session=session, device_id="kit-b", day=DAY + dt.timedelta(days=4))
    assert old_kit[2].village_ids == {village}
    assert old_kit[3].village_ids == frozenset()
    assert old_kit[5].village_ids == frozenset()
    assert old_kit[6].village_ids == {village}  # the days after the new assignment stay with the old team
    assert old_kit[3].version > before.version  # the old kit learns at its next sync
    assert new_kit.village_ids == {village, commune.villages[1]}


def test_a_household_assigned_singly_is_held_outside_the_kits_villages(context: Context, commune: SmallCommune) -> None:
    household = commune.households[commune.villages[2]][0]
    with unit_of_work(context.database.sessions) as session:
        campaign = service.ensure_campaign_for(
            session=session, clock=context.clock, actor=COMMITTEE, commune_code=commune.code, day=DAY
        )
        team = service.create_team(
            session=session,
            clock=context.clock,
            actor=COMMITTEE,
            campaign_id=campaign.id,
            name="Mop-up",
            device_id="kit-m",
        )
        (assignment_id,) = assign(
            session=session,
            clock=context.clock,
            actor=COMMITTEE,
            team_id=team.id,
            start=DAY,
            end=DAY,
            household_ids=[household],
        )
        held = kit_assignment(session=session, device_id="kit-m", day=DAY)
        withdraw(session=session, clock=context.clock, actor=COMMITTEE, assignment_id=assignment_id)
        after = kit_assignment(session=session, device_id="kit-m", day=DAY)
    assert held.household_ids == {household}
    assert held.village_ids == frozenset()
    assert after.household_ids == frozenset()
    assert after.version > held.version


def test_an_assignment_that_ends_before_it_starts_is_refused(context: Context, commune: SmallCommune) -> None:
    with unit_of_work(context.database.sessions) as session, pytest.raises(InvalidCampaignInput):
        assign_villages_to_kit(
            session=session,
            clock=context.clock,
            actor=COMMITTEE,
            device_id="kit-1",
            village_ids=commune.villages[:1],
            start=DAY,
            end=DAY - dt.timedelta(days=1),
        )


def test_an_unknown_village_is_refused(context: Context, commune: SmallCommune) -> None:
    with unit_of_work(context.database.sessions) as session, pytest.raises(InvalidCampaignInput):
        assign_villages_to_kit(
            session=session,
            clock=context.clock,
            actor=COMMITTEE,
            device_id="kit-1",
            village_ids=[10**6],
            start=DAY,
            end=DAY,
        )
