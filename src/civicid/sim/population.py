"""A deterministic synthetic commune: villages, households and persons for the demo and benchmarks.

The default is the commune of DOMAIN.md "Demo commune": 23 villages up to ~30 km from the centre,
some without phone signal, about 10,800 residents with the young age pyramid of a northern mountain
province, fewer phones and smartphones among elders, young adults working away. Everything is
synthetic; the same seed always gives the same people, byte for byte.

Villages are made up front (they are few); households are *regenerated* from the seed each time
:meth:`SimCommune.iter_households` is called, so a commune of a million persons never sits in
memory. The output is the registry's own load format (``registry.bulk``), so the simulator feeds the
bulk loader directly and the registry never imports the simulator.
"""

from __future__ import annotations

import datetime as dt
import math
import random
from collections.abc import Iterator
from dataclasses import dataclass

from civicid.country import admin_units
from civicid.country.id_number import LEGACY_PROVINCE_CODES
from civicid.registry.bulk import CardLoad, GuardianLoad, HouseholdLoad, PersonLoad, VillageLoad
from civicid.registry.codes import SignalQuality
from civicid.sim import family

#: Xã Võ Nhai, Thái Nguyên: a mountain commune of the 2025 list; births there are coded 019.
DEFAULT_COMMUNE_CODE = "05716"
DEFAULT_PEOPLE = 10_800
#: The story's commune has 23 villages for ~10,800 people.
PERSONS_PER_VILLAGE = 470
MAX_DISTANCE_KM = 30.0
_KM_PER_DEGREE = 111.32

# Approximate centres of communes the simulator knows; others get villages without coordinates.
COMMUNE_CENTRES: dict[str, tuple[float, float]] = {
    "05716": (21.7577, 106.0736),
}

SimVillage = VillageLoad
SimHousehold = HouseholdLoad
SimPerson = PersonLoad
SimCard = CardLoad
SimGuardian = GuardianLoad

_VILLAGE_KINDS = ("Thôn", "Bản", "Xóm")
# Tày and Nùng place-name syllables: nà (field), khuổi (stream), pác (mouth), phiêng (flat land)…
_VILLAGE_FIRST = (
    "Nà",
    "Khuổi",
    "Pác",
    "Phiêng",
    "Lũng",
    "Cốc",
    "Khau",
    "Bản",
    "Làng",
    "Đồng",
    "Tân",
    "Thẩm",
    "Nặm",
    "Pò",
    "Kéo",
    "Mỏ",
)
_VILLAGE_SECOND = (
    "Pục",
    "Hoan",
    "Mò",
    "Cái",
    "Rịa",
    "Nặm",
    "Phấy",
    "Lừa",
    "Chang",
    "Kham",
    "Ngần",
    "Vàng",
    "Mạ",
    "Tàng",
    "Dọ",
    "Sla",
    "Khoang",
    "Lạn",
    "Mười",
    "Cọ",
    "Sào",
    "Quân",
    "Lịn",
    "Thốc",
    "Bó",
    "Pheo",
    "Lầy",
    "Mấu",
    "Tát",
    "Ngòa",
    "Hẩu",
    "Vài",
    "Nghè",
    "Luông",
    "Đeng",
    "Khét",
    "Mường",
    "Tềnh",
    "Lạc",
    "Chè",
)


@dataclass(frozen=True)
class SimCommune:
    """A synthetic commune; satisfies ``registry.bulk.CommuneSource``."""

    code: str
    name: str
    province_code: str
    province_name: str
    latitude: float | None
    longitude: float | None
    seed: int
    people: int
    reference_date: dt.date
    villages: tuple[SimVillage, ...]
    #: Residents of each village, in the order of ``villages``; they add up to ``people``.
    village_sizes: tuple[int, ...]
    #: The legacy province code of births registered in the commune's own province.
    home_province: str
    #: This commune's share of the ID-number serials, when several are loaded together (see ``family``).
    serial_block: int = 0
    serial_blocks: int = 1

    def iter_households(self) -> Iterator[SimHousehold]:
        """Every household, village by village; the same sequence on every call."""
        maker = family.HouseholdMaker(
            rng=random.Random(f"civicid-sim/{self.seed}/households"),
            seed=self.seed,
            reference_date=self.reference_date,
            home_province=self.home_province,
            serial_block=self.serial_block,
            serial_blocks=self.serial_blocks,
        )
        for index, (village, size) in enumerate(zip(self.villages, self.village_sizes, strict=True)):
            address = f"{village.name}, {self.name}, {self.province_name}"
            yield from maker.village_households(index, size, address)


def generate_commune(
    *,
    seed: int,
    reference_date: dt.date,
    people: int = DEFAULT_PEOPLE,
    commune_code: str = DEFAULT_COMMUNE_CODE,
    centre: tuple[float, float] | None = None,
    serial_block: int = 0,
    serial_blocks: int = 1,
) -> SimCommune:
    """The commune for ``seed``: its villages now, its households lazily (``iter_households``).

    One village per ~470 residents (23 for the default 10,800). ``centre`` places the villages on
    the map; it defaults to the commune's known centre, if any. ``serial_block`` of ``serial_blocks``
    keeps its ID numbers apart from the other communes' of a province loaded beside it.
    """
    if people < 2:
        raise ValueError("a commune needs at least 2 residents")
    unit = admin_units.get_commune(commune_code)
    province = admin_units.get_province(unit.province_code)
    centre = centre or COMMUNE_CENTRES.get(commune_code)
    rng = random.Random(f"civicid-sim/{seed}/villages")
    count = max(1, round(people / PERSONS_PER_VILLAGE))
    villages = _villages(rng, count, centre)
    return SimCommune(
        code=unit.code,
        name=unit.name,
        province_code=province.code,
        province_name=province.name,
        latitude=centre[0] if centre else None,
        longitude=centre[1] if centre else None,
        seed=seed,
        people=people,
        reference_date=reference_date,
        villages=villages,
        village_sizes=_village_sizes(rng, count, people),
        home_province=_home_province(province.code),
        serial_block=serial_block,
        serial_blocks=serial_blocks,
    )


def _home_province(province_code: str) -> str:
    # Since 2025 a merged province keeps the code of one of its predecessors (Thái Nguyên 19 ← 019).
    legacy = f"0{province_code}"
    return legacy if legacy in LEGACY_PROVINCE_CODES else "001"


def _village_sizes(rng: random.Random, count: int, people: int) -> tuple[int, ...]:
    # Villages differ in size by a factor of up to three; every one has at least 2 residents.
    weights = [0.5 + rng.random() for _ in range(count)]
    total = sum(weights)
    sizes = [max(2, int(people * w / total)) for w in weights]
    sizes[-1] = max(2, sizes[-1] + people - sum(sizes))
    return tuple(sizes)


def _villages(rng: random.Random, count: int, centre: tuple[float, float] | None) -> tuple[SimVillage, ...]:
    names = _village_names(rng, count)
    villages: list[SimVillage] = []
    for index, name in enumerate(names):
        # The first village is the commune centre; the others spread out to ~30 km along valleys.
        distance = 0.3 + rng.random() * 1.2 if index == 0 else 1.5 + (MAX_DISTANCE_KM - 1.5) * rng.random() ** 0.8
        bearing = rng.random() * 2 * math.pi
        latitude = longitude = None
        if centre is not None:
            latitude = round(centre[0] + distance * math.cos(bearing) / _KM_PER_DEGREE, 5)
            longitude = round(
                centre[1] + distance * math.sin(bearing) / (_KM_PER_DEGREE * math.cos(math.radians(centre[0]))), 5
            )
        signal = _signal(rng, distance)
        villages.append(SimVillage(name, round(distance, 1), signal, latitude, longitude))
    if count >= 3 and all(v.signal is not SignalQuality.NONE for v in villages):
        # The story's villages "without stable signal" must exist: the farthest one has none.
        far = max(range(count), key=lambda i: villages[i].distance_km)
        v = villages[far]
        villages[far] = SimVillage(v.name, v.distance_km, SignalQuality.NONE, v.latitude, v.longitude)
    return tuple(villages)


def _signal(rng: random.Random, distance_km: float) -> SignalQuality:
    # Farther up the valleys, fewer masts: the share without signal grows with the distance.
    none, weak = (0.0, 0.25) if distance_km < 8 else (0.15, 0.65) if distance_km < 18 else (0.40, 0.90)
    draw = rng.random()
    return SignalQuality.NONE if draw < none else SignalQuality.WEAK if draw < weak else SignalQuality.GOOD


def _village_names(rng: random.Random, count: int) -> list[str]:
    """``count`` names, unique in the commune; numbered ("Thôn Nà Pục 2") once the stems run out."""
    stems = [f"{first} {second}" for first in _VILLAGE_FIRST for second in _VILLAGE_SECOND]
    rng.shuffle(stems)
    names: list[str] = []
    for index in range(count):
        stem = stems[index % len(stems)]
        round_ = index // len(stems)
        kind = _VILLAGE_KINDS[int(rng.random() * len(_VILLAGE_KINDS))]
        # The kind word does not make a name unique on its own: the stem (and its number) does.
        names.append(f"{kind} {stem}" + (f" {round_ + 1}" if round_ else ""))
    return names
