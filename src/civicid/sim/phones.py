"""Citizens' phones in the simulated campaign: activating the accounts issued to them.

A person with a smartphone whose account was issued activates it through the real activation
functions, reading the code from the SMS the outbox queued for their number, as a phone would:
most the same evening with the team's help, some a few days later on their own, some not yet.
People without a smartphone never do (DOMAIN.md: the campaign counts issued and activated apart).

The synthetic population has no real holders, so the phones use the cheap Argon2id profile
(``accounts.hashing.FAST``): the demo stays quick, and nothing real is protected by it.
"""

from __future__ import annotations

import datetime as dt
import random
import re
from dataclasses import dataclass, field

from civicid.accounts import activation
from civicid.accounts.hashing import FAST
from civicid.accounts.queries import accounts_of_commune
from civicid.accounts.statuses import AccountStatus
from civicid.agencies.adapters import SimulatedAgencies
from civicid.core.crypto import generate_signing_key, public_jwk
from civicid.core.database import unit_of_work
from civicid.core.runtime import Context
from civicid.notify import service as notify
from civicid.wallet import service as wallet

SAME_DAY = 0.6  # of those with a smartphone: activated the evening of issue, with the team's help
LATER = 0.3  # a few days later, on their own; the rest have not activated yet
LATER_DAYS = (1, 4)
_CODE = re.compile(r"\b\d{6}\b")
_QUESTIONS = ("first_school", "mother_village")
#: The demo's one citizen whose login it prints: the first account the simulation activates.
DEMO_PASSWORD = "Demo-Citizen-2026"  # noqa: S105 - a synthetic demo holder's, printed on purpose
DEMO_PASSCODE = "246810"


@dataclass(frozen=True)
class DemoCitizen:
    """A synthetic holder whose secrets the demo prints, so that a visitor can log in as them."""

    id_number: str
    phone: str
    password: str
    passcode: str


@dataclass
class SimulatedPhones:
    """Decides, once per issued account, whether and when its holder activates, and does it."""

    context: Context
    commune_code: str
    rng: random.Random
    plans: dict[str, dt.date | None] = field(default_factory=dict)
    activated: int = 0
    citizen: DemoCitizen | None = None

    def evening(self, day: dt.date) -> int:
        """Plan the accounts issued so far, then activate those whose day has come; how many did."""
        for account_id, id_number, phone, smartphone in self._issued():
            if account_id not in self.plans:
                self.plans[account_id] = self._plan(day, smartphone and phone is not None)
            plan = self.plans[account_id]
            if plan is not None and plan <= day and phone is not None:
                self._activate(account_id, id_number, phone)
                self.plans[account_id] = None
                self.activated += 1
        return self.activated

    def _plan(self, day: dt.date, smartphone: bool) -> dt.date | None:
        if not smartphone:
            return None
        roll = self.rng.random()
        if roll < SAME_DAY:
            return day
        if roll < SAME_DAY + LATER:
            return day + dt.timedelta(days=self.rng.randint(*LATER_DAYS))
        return None

    def _issued(self) -> list[tuple[str, str, str | None, bool]]:
        """Accounts of the commune issued by now and still waiting for activation (``accounts.queries``).

        In the order of issue, then of person (not of the random account ids), so that a seed gives the same demo.
        """
        now = self.context.clock.now()
        with unit_of_work(self.context.database.sessions) as session:
            rows = accounts_of_commune(session, self.commune_code, AccountStatus.PENDING_ACTIVATION, issued_by=now)
        return [(a.id, a.id_number, a.phone, a.has_smartphone) for a in rows]

    def _activate(self, account_id: str, id_number: str, phone: str) -> None:
        """The app's three steps, each its own request (transaction), as on a phone."""
        clock, sessions = self.context.clock, self.context.database.sessions
        with unit_of_work(sessions) as session:
            activation.request_activation_code(
                session=session, clock=clock, id_number=id_number, phone=phone, hasher=FAST
            )
            sms = notify.notifications_for(session=session, related_type="account", related_id=account_id)
        found = _CODE.search(sms[0].text) if sms else None
        if found is None:
            return
        with unit_of_work(sessions) as session:
            ticket = activation.verify_activation_code(
                session=session, clock=clock, id_number=id_number, phone=phone, code=found.group(0), hasher=FAST
            )
        secret = self.rng.getrandbits(32)
        password, passcode = f"Civic-{secret:08x}A1", f"{secret % 1_000_000:06d}"
        if self.citizen is None:
            password, passcode = DEMO_PASSWORD, DEMO_PASSCODE
            self.citizen = DemoCitizen(id_number, phone, password, passcode)
        with unit_of_work(sessions) as session:
            activation.complete_activation(
                session=session,
                clock=clock,
                ticket=ticket,
                password=password,
                passcode=passcode,
                answers=[activation.SecurityAnswer(q, f"{q}-{secret}") for q in _QUESTIONS],
                device_public_jwk=public_jwk(generate_signing_key()),
                on_arrival=wallet.holder_arrival(SimulatedAgencies()),
                hasher=FAST,
            )
