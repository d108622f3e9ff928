"""The synthetic commune: deterministic, shaped like the story's commune, with valid identities."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from functools import cache

import pytest

from civicid.country.age import age_on
from civicid.country.id_number import parse_id_number
from civicid.country.names import fold
from civicid.registry.models import CardStatus, ResidenceStatus, SignalQuality
from civicid.sim.population import SimCommune, SimHousehold, SimPerson, generate_commune

REFERENCE = dt.date(2026, 11, 28)


@cache
def _default() -> tuple[SimCommune, tuple[SimHousehold, ...]]:
    commune = generate_commune(seed=2025, reference_date=REFERENCE)
    return commune, tuple(commune.iter_households())


def _persons() -> list[SimPerson]:
    return [p for h in _default()[1] for p in h.members]


def _age(person: SimPerson) -> int:
    return age_on(person.date_of_birth, REFERENCE)


class TestDeterminism:
    def test_same_seed_same_population(self) -> None:
        first = generate_commune(seed=7, people=1_500, reference_date=REFERENCE)
        second = generate_commune(seed=7, people=1_500, reference_date=REFERENCE)
        assert first == second
        assert list(first.iter_households()) == list(second.iter_households())

    def test_iterating_twice_gives_the_same_households(self) -> None:
        commune = generate_commune(seed=7, people=1_500, reference_date=REFERENCE)
        assert list(commune.iter_households()) == list(commune.iter_households())

    def test_different_seed_different_population(self) -> None:
        first = generate_commune(seed=7, people=1_500, reference_date=REFERENCE)
        second = generate_commune(seed=8, people=1_500, reference_date=REFERENCE)
        assert first.villages != second.villages
        assert list(first.iter_households()) != list(second.iter_households())


class TestShape:
    def test_default_has_23_villages_and_about_10800_residents(self) -> None:
        commune, households = _default()
        assert len(commune.villages) == 23
        assert len({v.name for v in commune.villages}) == 23
        assert abs(sum(len(h.members) for h in households) - 10_800) <= 216

    def test_households_have_2_to_7_members_and_one_head(self) -> None:
        for household in _default()[1]:
            assert 2 <= len(household.members) <= 7
            assert [p.relation_to_head for p in household.members].count("head") == 1

    def test_household_numbers_are_unique_per_village(self) -> None:
        numbers = Counter((h.village, h.number) for h in _default()[1])
        assert max(numbers.values()) == 1

    def test_villages_reach_about_30_km_and_some_have_no_signal(self) -> None:
        villages = _default()[0].villages
        assert max(v.distance_km for v in villages) <= 30
        assert max(v.distance_km for v in villages) >= 20
        assert any(v.signal is SignalQuality.NONE for v in villages)
        assert any(v.signal is SignalQuality.GOOD for v in villages)

    def test_far_villages_lie_farther_from_the_centre_on_the_map(self) -> None:
        commune = _default()[0]
        assert commune.latitude is not None
        assert commune.longitude is not None
        for village in commune.villages:
            assert village.latitude is not None
            assert village.longitude is not None
            degrees = ((village.latitude - commune.latitude) ** 2 + (village.longitude - commune.longitude) ** 2) ** 0.5
            assert degrees <= village.distance_km / 100 + 0.01

    @pytest.mark.parametrize(
        ("low", "high", "share_min", "share_max"),
        [(0, 5, 0.08, 0.11), (6, 13, 0.11, 0.15), (65, 200, 0.065, 0.10)],
        ids=["under_6", "6_to_13", "65_plus"],
    )
    def test_age_pyramid(self, low: int, high: int, share_min: float, share_max: float) -> None:
        persons = _persons()
        share = sum(low <= _age(p) <= high for p in persons) / len(persons)
        assert share_min <= share <= share_max

    def test_fewer_smartphones_among_elders(self) -> None:
        persons = _persons()
        elders = [p for p in persons if _age(p) >= 65]
        young = [p for p in persons if 18 <= _age(p) <= 40]
        elder_share = sum(p.has_smartphone for p in elders) / len(elders)
        young_share = sum(p.has_smartphone for p in young) / len(young)
        assert elder_share < 0.4 < 0.7 < young_share

    def test_children_under_14_have_no_phone(self) -> None:
        assert all(p.phone is None and not p.has_smartphone for p in _persons() if _age(p) < 14)

    def test_phone_numbers_are_unique_and_well_formed(self) -> None:
        phones = [p.phone for p in _persons() if p.phone is not None]
        assert len(phones) == len(set(phones))
        assert all(len(phone) == 10 and phone.startswith("0") and phone.isdigit() for phone in phones)

    def test_some_young_adults_work_away(self) -> None:
        away = [p for p in _persons() if p.residence_status is ResidenceStatus.WORKING_AWAY]
        assert 0.03 < len(away) / len(_persons()) < 0.2
        assert all(_age(p) >= 18 for p in away)


class TestIdentities:
    def test_id_numbers_are_valid_and_match_birth_date_and_sex(self) -> None:
        for person in _persons():
            parse_id_number(person.id_number, date_of_birth=person.date_of_birth, sex=person.sex)

    def test_id_numbers_are_unique(self) -> None:
        numbers = [p.id_number for p in _persons()]
        assert len(numbers) == len(set(numbers))

    def test_most_were_born_in_the_home_province(self) -> None:
        prefixes = Counter(p.id_number[:3] for p in _persons())
        assert prefixes["019"] / len(_persons()) > 0.8
        assert len(prefixes) > 3

    def test_names_have_diacritics(self) -> None:
        names = [p.full_name for p in _persons()]
        with_marks = sum(fold(name) != name.lower() for name in names)
        assert with_marks / len(names) > 0.9
        assert all(len(name.split()) == 3 for name in names)

    def test_cards_for_14_and_over_only(self) -> None:
        for person in _persons():
            if _age(person) < 14:
                assert person.cards == ()
            for card in person.cards:
                assert card.issue_date <= REFERENCE
                assert card.expiry_date is None or card.issue_date < card.expiry_date
                assert (card.status is CardStatus.EXPIRED) == (
                    card.expiry_date is not None and card.expiry_date <= REFERENCE
                )

    def test_most_holders_of_14_and_over_have_a_valid_card(self) -> None:
        adults = [p for p in _persons() if _age(p) >= 14]
        valid = sum(any(c.status is CardStatus.VALID for c in p.cards) for p in adults)
        assert valid / len(adults) > 0.95

    def test_cards_over_60_never_expire(self) -> None:
        for person in _persons():
            if _age(person) > 60:
                assert [c.expiry_date for c in person.cards] == [None]

    def test_minors_have_guardians_in_their_household_old_enough_to_be_parents(self) -> None:
        for household in _default()[1]:
            for person in household.members:
                if _age(person) < 14:
                    assert person.guardians
                for link in person.guardians:
                    guardian = household.members[link.member]
                    assert _age(guardian) >= _age(person) + 18


class TestScale:
    def test_villages_scale_with_people_and_keep_unique_names(self) -> None:
        commune = generate_commune(seed=1, people=1_000_000, reference_date=REFERENCE)
        assert 2_000 <= len(commune.villages) <= 2_300
        assert len({v.name for v in commune.villages}) == len(commune.villages)
        assert sum(commune.village_sizes) == 1_000_000

    def test_a_small_commune_is_exact(self) -> None:
        commune = generate_commune(seed=3, people=500, reference_date=REFERENCE)
        assert sum(len(h.members) for h in commune.iter_households()) == 500
