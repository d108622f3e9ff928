"""The figures equal counts taken directly from the records: after reassignment, late syncs, new targets."""

from __future__ import annotations

import datetime as dt
from collections import Counter

import pytest
from sqlalchemy import select
from tests.factories import (
    ADMIN,
    COMMITTEE,
    DEADLINE,
    START,
    SmallCommune,
    checked_on_day,
    issue_waiting,
    kit_sent_to,
    registered_kit,
    village_adults,
)

from civicid.accounts.models import EidAccount
from civicid.campaign import service, tally
from civicid.campaign.figures import CampaignFigures, campaign_figures, province_figures, working_days_between
from civicid.campaign.kits import record_kit_sync
from civicid.campaign.models import Campaign, CardGap
from civicid.campaign.service import TargetIn
from civicid.core.clock import FixedClock
from civicid.core.database import unit_of_work
from civicid.core.runtime import Context
from civicid.country.age import latest_birth_date
from civicid.country.zone import TIME_ZONE
from civicid.enrollment.models import Application
from civicid.enrollment.tasks import Pipeline
from civicid.protocol.codes import ApplicationStatus
from civicid.registry import service as registry
from civicid.registry.eligibility import RESIDENT, eligible_by_village
from civicid.registry.models import CardStatus, IdCard, Person, ResidenceStatus, Village
from civicid.registry.schemas import IdCardIn


def direct_counts(context: Context, commune_code: str) -> dict[str, Counter[object]]:
    """The same figures, counted row by row in Python from every application of the commune."""
    failed = {
        ApplicationStatus.NEEDS_CORRECTION,
        ApplicationStatus.INELIGIBLE,
        ApplicationStatus.REJECTED_INTEGRITY,
        ApplicationStatus.REJECTED_DUPLICATE,
        ApplicationStatus.REJECTED,
    }
    counts: dict[str, Counter[object]] = {
        k: Counter() for k in ("captured", "reached", "issued", "by_day", "by_device")
    }
    with unit_of_work(context.database.sessions) as session:
        for a in session.scalars(select(Application).where(Application.commune_code == commune_code)):
            if a.application_type not in ("level2", "level2_child"):
                continue
            counts["captured"][a.village_id] += 1
            if a.status not in failed:
                counts["reached"][a.village_id] += 1
                counts["by_day"][(a.village_id, a.captured_at.astimezone(TIME_ZONE).date())] += 1
                counts["by_device"][a.device_id] += 1
            if a.status == ApplicationStatus.ISSUED:
                counts["issued"][a.village_id] += 1
    return counts


def figures_of(context: Context, campaign: Campaign) -> CampaignFigures:
    with unit_of_work(context.database.sessions) as session:
        return campaign_figures(session=session, clock=context.clock, campaign=campaign)


def assert_figures_match_records(context: Context, campaign: Campaign) -> CampaignFigures:
    figures = figures_of(context, campaign)
    direct = direct_counts(context, campaign.commune_code)
    for v in figures.villages:
        assert (v.captured, v.reached, v.issued) == (
            direct["captured"][v.village_id],
            direct["reached"][v.village_id],
            direct["issued"][v.village_id],
        ), v.name
    assert {k: n for k, n in figures.reached_by_day.items() if n} == dict(direct["by_day"])
    assert figures.total.issued == sum(direct["issued"].values())
    for team in figures.teams:
        assert team.reached == direct["by_device"][team.device_id]
    return figures


def test_the_first_targets_are_the_registrys_eligible_residents(
    context: Context, commune: SmallCommune, campaign: Campaign
) -> None:
    figures = figures_of(context, campaign)
    with unit_of_work(context.database.sessions) as session:
        eligible = eligible_by_village(session=session, commune_code=commune.code, reference_date=START)
    assert {v.village_id: (v.target_adults, v.target_under_6) for v in figures.villages} == {
        v: (c.adults, c.under_6) for v, c in eligible.items()
    }
    assert all(v.target_version == 1 for v in figures.villages)


def test_figures_equal_the_records_after_reassignment_and_a_late_sync(
    context: Context, commune: SmallCommune, campaign: Campaign, pipeline: Pipeline
) -> None:
    first, second, third = commune.villages[:3]
    kit_a, kit_b = (
        registered_kit(context, commune.code, "operator.a"),
        registered_kit(context, commune.code, "operator.b"),
    )
    kit_sent_to(context, kit_a.device_id, [first, second], START, DEADLINE, team_name="Đội Công an")
    kit_sent_to(context, kit_b.device_id, [third], START, DEADLINE, team_name="Đoàn Thanh niên")
    checked_on_day(context, pipeline, kit_a, village_adults(context, first, 4), dt.date(2026, 11, 23))
    checked_on_day(context, pipeline, kit_a, village_adults(context, second, 3), dt.date(2026, 11, 24))
    issue_waiting(context, pipeline, commune.code)
    assert_figures_match_records(context, campaign)

    # The second village moves to kit B; kit B works there, kit A keeps what it captured.
    kit_sent_to(context, kit_b.device_id, [second], dt.date(2026, 11, 25), DEADLINE)
    checked_on_day(context, pipeline, kit_b, village_adults(context, second, 2, skip=3), dt.date(2026, 11, 26))
    # A late sync: kit B captured in the third village three days ago, without signal; it arrives now.
    checked_on_day(context, pipeline, kit_b, village_adults(context, third, 2), dt.date(2026, 11, 25))
    with unit_of_work(context.database.sessions) as session:
        record_kit_sync(
            session=session, clock=context.clock, device_id=kit_b.device_id, pending_captures=0, oldest_unsent_at=None
        )
    figures = assert_figures_match_records(context, campaign)
    assert figures.reached_by_day[(third, dt.date(2026, 11, 25))] == 2  # counted on its capture day
    teams = {t.name: t for t in figures.teams}
    assert (teams["Đội Công an"].reached, teams["Đoàn Thanh niên"].reached) == (7, 4)
    assert teams["Đoàn Thanh niên"].last_sync_at == context.clock.now()
    assert figures.total.issued == 7  # only the first round was approved


def test_a_corrected_target_is_in_force_and_coverage_above_it_is_a_target_error(
    context: Context, commune: SmallCommune, campaign: Campaign, pipeline: Pipeline
) -> None:
    village = commune.villages[0]
    kit = registered_kit(context, commune.code, "operator.a")
    checked_on_day(context, pipeline, kit, village_adults(context, village, 3), dt.date(2026, 11, 27))
    issue_waiting(context, pipeline, commune.code)
    with unit_of_work(context.database.sessions) as session:
        service.correct_targets(
            session=session,
            clock=context.clock,
            actor=COMMITTEE,
            campaign_id=campaign.id,
            targets={village: TargetIn(adults=2, age_6_14=0, under_6=0)},
            note="listing round",
        )
    figures = assert_figures_match_records(context, campaign)
    corrected = next(v for v in figures.villages if v.village_id == village)
    assert (corrected.target_adults, corrected.target_version) == (2, 2)
    assert corrected.coverage == pytest.approx(1.5)
    assert corrected.target_error
    assert not any(v.target_error for v in figures.villages if v.village_id != village)


def test_pace_required_pace_and_projected_finish_follow_the_working_days(
    context: Context, commune: SmallCommune, campaign: Campaign, pipeline: Pipeline
) -> None:
    village = commune.villages[0]
    kit = registered_kit(context, commune.code, "operator.a")
    checked_on_day(context, pipeline, kit, village_adults(context, village, 6), dt.date(2026, 11, 27))
    figures = figures_of(context, campaign)
    v = next(v for v in figures.villages if v.village_id == village)
    worked = working_days_between(campaign, dt.date(2026, 11, 22), dt.date(2026, 11, 28))  # Sunday 23rd is off
    assert worked == 6
    assert v.pace == pytest.approx(6 / worked)
    left = working_days_between(campaign, dt.date(2026, 11, 29), campaign.deadline)
    assert v.required_pace == pytest.approx((v.target_adults - 6) / left)
    assert v.projected_finish is not None
    assert v.behind == (v.projected_finish > campaign.deadline)


def direct_no_card(context: Context, commune_code: str, today: dt.date | None = None) -> Counter[int]:
    """Residents of 14 and over with no valid, unexpired card, village by village, person by person."""
    today = today or context.clock.today()
    born_14 = latest_birth_date(today, 14)
    counts: Counter[int] = Counter()
    with unit_of_work(context.database.sessions) as session:
        valid = {
            c.person_id
            for c in session.scalars(select(IdCard))
            if c.status == CardStatus.VALID and (c.expiry_date is None or c.expiry_date >= today)
        }
        villages = set(session.scalars(select(Village.id).where(Village.commune_code == commune_code)))
        for p in session.scalars(select(Person).where(Person.village_id.in_(villages))):
            if p.residence_status in RESIDENT and p.date_of_birth <= born_14 and p.id not in valid:
                counts[p.village_id] += 1
    return counts


def direct_activated(context: Context) -> Counter[int]:
    counts: Counter[int] = Counter()
    with unit_of_work(context.database.sessions) as session:
        for account, village_id in session.execute(
            select(EidAccount, Person.village_id).join(Person, Person.id == EidAccount.person_id)
        ):
            if account.activated_at is not None and account.level == 2:
                counts[village_id] += 1
    return counts


def test_activated_and_no_card_equal_the_accounts_and_the_registry(
    context: Context, commune: SmallCommune, campaign: Campaign, pipeline: Pipeline
) -> None:
    first, second = commune.villages[:2]
    kit = registered_kit(context, commune.code, "operator.a")
    checked_on_day(
        context,
        pipeline,
        kit,
        village_adults(context, first, 3) + village_adults(context, second, 2),
        dt.date(2026, 11, 26),
    )
    issue_waiting(context, pipeline, commune.code)
    figures = assert_figures_match_records(context, campaign)
    assert figures.total.activated == 0  # issuing is not activating
    assert {v.village_id: v.no_card for v in figures.villages if v.no_card} == dict(
        direct_no_card(context, commune.code)
    )
    assert figures.total.no_card > 0  # the simulated registry has adults between two cards

    # Three holders activate; one adult's card expires, another is reported lost, a third gets a new one.
    with unit_of_work(context.database.sessions) as session:
        accounts = session.scalars(select(EidAccount).order_by(EidAccount.id).limit(3)).all()
        for account in accounts:
            account.activated_at = context.clock.now()
        adults = session.scalars(
            select(IdCard).where(IdCard.status == CardStatus.VALID).order_by(IdCard.person_id).limit(2)
        ).all()
        adults[0].expiry_date = context.clock.today() - dt.timedelta(days=1)
        adults[1].status = CardStatus.LOST
        without = next(
            p
            for p in session.scalars(select(Person).where(Person.village_id == first).order_by(Person.id))
            if p.id
            not in {c.person_id for c in session.scalars(select(IdCard).where(IdCard.status == CardStatus.VALID))}
            and p.date_of_birth <= latest_birth_date(context.clock.today(), 14)
        )
        registry.issue_id_card(
            session=session,
            clock=context.clock,
            actor=ADMIN,
            person_id=without.id,
            card_in=IdCardIn(issue_date=context.clock.today(), expiry_date=None),
        )
    figures = figures_of(context, campaign)
    assert {v.village_id: v.activated for v in figures.villages if v.activated} == dict(direct_activated(context))
    assert figures.total.activated == 3
    assert {v.village_id: v.no_card for v in figures.villages if v.no_card} == dict(
        direct_no_card(context, commune.code)
    )
    blockers = figures.as_dict()["commune"]["blockers"]
    assert blockers["no_card"] == figures.total.no_card == sum(direct_no_card(context, commune.code).values())

    # A holder moves to the fourth village, another account is deactivated: the tally follows both.
    with unit_of_work(context.database.sessions) as session:
        moved, cancelled = session.scalars(
            select(EidAccount).where(EidAccount.activated_at.is_not(None)).order_by(EidAccount.id).limit(2)
        ).all()
        person = session.get(Person, moved.person_id)
        assert person is not None
        person.village_id = commune.villages[3]
        cancelled.activated_at = None
    figures = figures_of(context, campaign)
    assert {v.village_id: v.activated for v in figures.villages if v.activated} == dict(direct_activated(context))
    assert figures.total.activated == 2
    with unit_of_work(context.database.sessions) as session:
        tally.rebuild_activations(session=session)
    assert figures_of(context, campaign).as_dict() == figures.as_dict()


def card_gaps(context: Context) -> dict[int, tuple[int, dt.date]]:
    with unit_of_work(context.database.sessions) as session:
        return {g.person_id: (g.village_id, g.blocked_from) for g in session.scalars(select(CardGap))}


def test_no_card_follows_the_registry_and_the_calendar(
    context: Context, commune: SmallCommune, campaign: Campaign
) -> None:
    with unit_of_work(context.database.sessions) as session:
        adult_ids = session.scalars(
            select(Person.id)
            .where(Person.village_id == commune.villages[0], Person.residence_status == "present")
            .where(Person.date_of_birth <= latest_birth_date(context.clock.today(), 14))
            .order_by(Person.id)
            .limit(3)
        ).all()
        moving, away, dead = (session.get(Person, i) for i in adult_ids)
        assert moving is not None
        assert away is not None
        assert dead is not None
        moving.village_id = commune.villages[1]
        dead.residence_status = ResidenceStatus.DECEASED
        for card in session.scalars(select(IdCard).where(IdCard.person_id == away.id)):
            session.delete(card)
    # Children turn 14 and cards expire as the days pass: the same rows answer every date.
    for years in (0, 1, 3):
        later = context.clock.today() + dt.timedelta(days=365 * years + 11)
        with unit_of_work(context.database.sessions) as session:
            (figures,) = province_figures(
                session=session,
                clock=FixedClock(dt.datetime.combine(later, dt.time(20), tzinfo=TIME_ZONE), zone=TIME_ZONE),
                campaigns=[campaign],
            )
        direct = direct_no_card(context, commune.code, later)
        assert {v.village_id: v.no_card for v in figures.villages if v.no_card} == dict(direct), later
    kept = card_gaps(context)
    with unit_of_work(context.database.sessions) as session:
        tally.rebuild_card_gaps(session=session)
    assert card_gaps(context) == kept


def test_the_province_report_reads_the_same_village_figures_as_the_commune_page(
    context: Context, commune: SmallCommune, campaign: Campaign, pipeline: Pipeline
) -> None:
    kit = registered_kit(context, commune.code, "operator.a")
    checked_on_day(context, pipeline, kit, village_adults(context, commune.villages[0], 3), dt.date(2026, 11, 24))
    issue_waiting(context, pipeline, commune.code)
    checked_on_day(context, pipeline, kit, village_adults(context, commune.villages[1], 2), dt.date(2026, 11, 27))
    page = assert_figures_match_records(context, campaign).as_dict()
    with unit_of_work(context.database.sessions) as session:
        (report,) = province_figures(session=session, clock=context.clock, campaigns=[campaign])
    assert report.as_dict()["villages"] == page["villages"]
    assert report.as_dict()["commune"] == page["commune"]
