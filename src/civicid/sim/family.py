"""Households and their members: the family structures behind the demo's age pyramid.

Ages are not drawn one person at a time: a household is a couple with their children, perhaps the
head's parents, an elderly couple, or grandparents raising a grandchild whose parents work in the
lowlands. Parents' ages follow their eldest child's, grandparents' their son's, so guardian links
are plausible and the commune's pyramid (about 9-10 % under 6, 13 % aged 6-13, 8 % aged 65 and over)
emerges from the households. The shares were tuned against ``tests/sim/test_population.py``.
"""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Iterator
from dataclasses import dataclass

from civicid.country.id_number import make_id_number
from civicid.country.sex import Sex
from civicid.registry.bulk import CardLoad, GuardianLoad, HouseholdLoad, PersonLoad
from civicid.registry.codes import CardStatus, ResidenceStatus
from civicid.sim import names

# Household sizes 2-7, per thousand households.
_SIZES = tuple(
    size for size, weight in ((2, 170), (3, 220), (4, 280), (5, 180), (6, 100), (7, 50)) for _ in range(weight)
)
# Births registered outside the commune's province: neighbours first, then the cities.
_ELSEWHERE = ("006", "006", "020", "024", "008", "004", "025", "001", "002", "010", "031", "079")
_BORN_ELSEWHERE = 0.12
# Mobile prefixes of the three large networks; the 7 digits after them come from a permutation.
_PHONE_PREFIXES = (
    "086",
    "096",
    "097",
    "098",
    "032",
    "033",
    "034",
    "035",
    "036",
    "037",
    "038",
    "039",
    "088",
    "091",
    "094",
    "083",
    "084",
    "085",
    "081",
    "082",
    "070",
    "079",
    "077",
    "076",
    "078",
    "089",
    "090",
    "093",
)
# Steps coprime with 10**6 and 10**7: k -> (start + k * step) mod 10**n visits each value once.
_SERIAL_STEP = 389_447
_PHONE_STEP = 3_862_417
# Card renewal ages (Law on Identification 2023 Art 21): a card is valid until the next one; after 60, for life.
_CARD_AGES = (14, 25, 40, 60)
_CHIP_CARDS_FROM = dt.date(2021, 1, 1)
_DAYS_PER_YEAR = 365.2425


@dataclass(frozen=True, slots=True)
class _Member:
    age: int
    sex: Sex
    relation: str
    family: str
    guardians: tuple[GuardianLoad, ...] = ()


class HouseholdMaker:
    """Makes one commune's households from one random stream; keeps the counters that keep IDs unique."""

    def __init__(
        self,
        *,
        rng: random.Random,
        seed: int,
        reference_date: dt.date,
        home_province: str,
        serial_block: int = 0,
        serial_blocks: int = 1,
    ) -> None:
        """``serial_block`` of ``serial_blocks`` gives this commune its own share of every serial range.

        Communes loaded side by side (a province for a benchmark) then never draw the same ID number;
        one block of one (the default) is the whole range, as before.
        """
        if serial_blocks < 1 or 10**6 % serial_blocks or not 0 <= serial_block < serial_blocks:
            raise ValueError("serial_blocks must divide 1,000,000 and serial_block lie in 0..serial_blocks-1")
        self._block_size = 10**6 // serial_blocks
        self._block_start = serial_block * self._block_size
        self._rng = rng
        self._seed = seed
        self._today = reference_date
        self._home = home_province
        self._serials: dict[tuple[str, int, Sex], int] = {}
        self._serial_starts: dict[tuple[str, int, Sex], int] = {}
        self._phones = 0
        self._phone_start = random.Random(f"civicid-sim/{seed}/phones").randrange(10**7)

    def village_households(self, village: int, residents: int, address: str) -> Iterator[HouseholdLoad]:
        """Households of exactly ``residents`` persons in all (2 to 7 each), numbered from 001."""
        rng = self._rng
        remaining = residents
        number = 0
        while remaining >= 2:
            size = min(_SIZES[int(rng.random() * len(_SIZES))], remaining)
            if remaining - size == 1:
                # Never leave one person over: nobody lives alone in this model.
                size = size + 1 if size < 7 else size - 1
            remaining -= size
            number += 1
            members = tuple(self._person(m) for m in self._compose(size))
            yield HouseholdLoad(village, f"{number:03d}", address, members)

    # Family structures ---------------------------------------------------------------------------

    def _compose(self, size: int) -> list[_Member]:
        rng = self._rng
        if size == 2:
            draw = rng.random()
            if draw < 0.30:
                return self._couple(56 + int(rng.random() * 30))
            if draw < 0.55:
                return self._couple(20 + int(rng.random() * 12))
            if draw < 0.80:
                return self._family(size, spouse=False)
            return self._left_behind()
        return self._family(size, spouse=rng.random() < 0.9)

    def _couple(self, head_age: int) -> list[_Member]:
        family = names.surname(self._rng)
        wife_age = max(18, head_age - int(self._rng.random() * 6))
        return [
            _Member(head_age, Sex.MALE, "head", family),
            _Member(wife_age, Sex.FEMALE, "spouse", names.surname(self._rng)),
        ]

    def _left_behind(self) -> list[_Member]:
        # Grandparents raising a grandchild while the parents work away: common in the hills.
        rng = self._rng
        sex = Sex.FEMALE if rng.random() < 0.6 else Sex.MALE
        family = names.surname(rng)
        relationship = "grandmother" if sex is Sex.FEMALE else "grandfather"
        return [
            _Member(55 + int(rng.random() * 25), sex, "head", family),
            _Member(int(rng.random() * 14), self._sex(), "grandchild", family, (GuardianLoad(0, relationship),)),
        ]

    def _family(self, size: int, *, spouse: bool) -> list[_Member]:
        """Parents (or one parent) with children, and the head's parents in larger households."""
        rng = self._rng
        adults = 2 if spouse else 1
        elders = 0
        if size - adults >= 2 and rng.random() < (0.20, 0.40, 0.60, 0.70, 0.75)[min(size - 3, 4)]:
            elders = 2 if size - adults >= 4 and rng.random() < 0.5 else 1
        ages = self._children_ages(size - adults - elders)
        mother_age = ages[-1] + 19 + int(rng.random() * 13)
        father_age = mother_age + int(rng.random() * 6)
        family = names.surname(rng)
        members: list[_Member]
        if spouse:
            members = [
                _Member(father_age, Sex.MALE, "head", family),
                _Member(mother_age, Sex.FEMALE, "spouse", names.surname(rng)),
            ]
        else:
            single = Sex.FEMALE if rng.random() < 0.7 else Sex.MALE
            members = [_Member(mother_age if single is Sex.FEMALE else father_age, single, "head", family)]
        guardians = tuple(GuardianLoad(i, "father" if m.sex is Sex.MALE else "mother") for i, m in enumerate(members))
        for age in ages:
            members.append(_Member(age, self._sex(), "child", family, guardians if age < 18 else ()))
        grandfather = min(98, father_age + 22 + int(rng.random() * 10))
        if elders >= 1:
            members.append(_Member(grandfather, Sex.MALE, "parent", family))
        if elders == 2:
            members.append(
                _Member(max(18, grandfather - int(rng.random() * 6)), Sex.FEMALE, "parent", names.surname(rng))
            )
        return members

    def _children_ages(self, count: int) -> list[int]:
        # Youngest first, then siblings one to four years apart; skewed young, adults living at home too.
        rng = self._rng
        ages = [int(rng.random() * 6) if rng.random() < 0.30 else 6 + int(rng.random() * 20)]
        for _ in range(count - 1):
            ages.append(ages[-1] + 1 + int(rng.random() * 4))
        return ages

    def _sex(self) -> Sex:
        return Sex.MALE if self._rng.random() < 0.515 else Sex.FEMALE

    # Persons -------------------------------------------------------------------------------------

    def _person(self, member: _Member) -> PersonLoad:
        rng = self._rng
        age = member.age
        dob = dt.date.fromordinal(self._today.toordinal() - int((age + rng.random()) * _DAYS_PER_YEAR) - 1)
        province = self._home if age < 14 or rng.random() >= _BORN_ELSEWHERE else _ELSEWHERE[int(rng.random() * 12)]
        phone, smartphone = self._phone(age)
        return PersonLoad(
            id_number=make_id_number(
                province_code=province,
                date_of_birth=dob,
                sex=member.sex,
                serial=self._serial(province, dob, member.sex),
            ),
            full_name=names.full_name(rng, member.sex, member.family),
            date_of_birth=dob,
            sex=member.sex,
            phone=phone,
            has_smartphone=smartphone,
            residence_status=self._residence(age),
            relation_to_head=member.relation,
            cards=self._cards(dob, age),
            guardians=member.guardians,
        )

    def _serial(self, province: str, dob: dt.date, sex: Sex) -> int:
        """A serial unique per (province, century-and-sex digit, year), spread over 000000-999999."""
        key = (province, dob.year, sex)
        count = self._serials.get(key, 0)
        size = self._block_size
        if count >= size:
            raise ValueError(f"more than {size} births in {key}: serials exhausted")
        start = self._serial_starts.get(key)
        if start is None:
            start = random.Random(f"civicid-sim/{self._seed}/{province}/{dob.year}/{sex}").randrange(size)
            self._serial_starts[key] = start
        self._serials[key] = count + 1
        # The block's size divides 10**6, so the step stays coprime with it: each serial comes once.
        return self._block_start + (start + count * _SERIAL_STEP) % size

    def _phone(self, age: int) -> tuple[str | None, bool]:
        # Shares of (any phone, a smartphone among phones) by age: elders hold basic phones, if any.
        has, smart = (
            (0.0, 0.0)
            if age < 14
            else (0.5, 0.9)
            if age < 18
            else (0.92, 0.88)
            if age <= 40
            else ((0.88, 0.65) if age < 65 else (0.55, 0.45))
        )
        rng = self._rng
        if rng.random() >= has:
            return None, False
        k = self._phones
        self._phones += 1
        prefix = _PHONE_PREFIXES[k % len(_PHONE_PREFIXES)]
        body = (self._phone_start + (k // len(_PHONE_PREFIXES)) * _PHONE_STEP) % 10**7
        return f"{prefix}{body:07d}", rng.random() < smart

    def _residence(self, age: int) -> ResidenceStatus:
        share = 0.20 if 18 <= age <= 40 else 0.07 if 40 < age <= 55 else 0.0
        return ResidenceStatus.WORKING_AWAY if share and self._rng.random() < share else ResidenceStatus.PRESENT

    def _cards(self, dob: dt.date, age: int) -> tuple[CardLoad, ...]:
        """The current card: issued at the last renewal age reached, valid until the next one."""
        if age < 14:
            return ()
        rng = self._rng
        step = 3 if age >= _CARD_AGES[3] else 2 if age >= _CARD_AGES[2] else 1 if age >= _CARD_AGES[1] else 0
        if age == _CARD_AGES[step] and rng.random() < 0.5:
            # Not yet renewed since the birthday: the previous card has expired, or there is none yet.
            if step == 0:
                return ()
            step -= 1
        due = _add_years(dob, _CARD_AGES[step])
        expiry = _add_years(dob, _CARD_AGES[step + 1]) if step + 1 < len(_CARD_AGES) else None
        issue = max(due, _CHIP_CARDS_FROM) + dt.timedelta(days=int(rng.random() * 400))
        latest = min(self._today, expiry) if expiry else self._today
        issue = max(due, min(issue, latest - dt.timedelta(days=1)))
        status = CardStatus.EXPIRED if expiry is not None and expiry <= self._today else CardStatus.VALID
        return (CardLoad(issue, expiry, status),)


def _add_years(day: dt.date, years: int) -> dt.date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February in a common year.
        return day.replace(year=day.year + years, day=28)
