"""e-ID accounts and the holder's phone: an issued account, its SMS read from the outbox, a device key."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar

from cryptography.hazmat.primitives.asymmetric import ec
from sqlalchemy.orm import Session

from civicid.accounts import activation, login
from civicid.accounts import service as accounts
from civicid.accounts.challenges import issue_challenge
from civicid.accounts.devices import make_proof
from civicid.accounts.errors import RECORDED_REFUSALS
from civicid.accounts.hashing import FAST
from civicid.accounts.schemas import AccountRead
from civicid.agencies.adapters import SimulatedAgencies
from civicid.core.crypto import generate_signing_key, public_jwk
from civicid.core.database import unit_of_work
from civicid.core.errors import CivicIDError
from civicid.core.runtime import Context
from civicid.notify import service as notify
from civicid.registry.schemas import PersonRead
from civicid.wallet import service as wallet

from .actors import OFFICER

T = TypeVar("T")
HOLDER_PASSWORD = "Mật-khẩu-9A"  # 11 characters: digit, upper, lower, special
PASSCODE = "482915"
ANSWERS = (
    activation.SecurityAnswer("first_school", "Trường Tiểu học Cao Minh"),
    activation.SecurityAnswer("mother_village", "Nà Pục"),
)
ARRIVAL = wallet.holder_arrival(SimulatedAgencies())


def issued_account(
    context: Context,
    person: PersonRead,
    *,
    level: int = 2,
    phone: str | None = "0912345678",
    source: str = "application:A1",
) -> AccountRead:
    """The account the issue stage opens for an approved application, pending activation."""
    with unit_of_work(context.database.sessions) as session:
        return accounts.issue_account(
            session=session,
            clock=context.clock,
            actor=OFFICER,
            person_id=person.id,
            id_number=person.id_number,
            phone=phone,
            level=level,
            source=source,
        )


def attempt(context: Context, work: Callable[[Session], T]) -> T | CivicIDError:
    """Run ``work`` as the API does: a recorded refusal commits, then is returned (not raised)."""
    with unit_of_work(context.database.sessions) as session:
        try:
            return work(session)
        except RECORDED_REFUSALS as exc:
            return exc


def codes_sent(context: Context, account_id: str) -> list[str]:
    """The codes the phone received, newest first, read from the SMS text as a person would."""
    with unit_of_work(context.database.sessions) as session:
        messages = notify.notifications_for(session=session, related_type="account", related_id=account_id)
    return [m.group(0) for n in messages if (m := re.search(r"\b\d{6}\b", n.text))]


@dataclass
class Phone:
    """The holder's phone: the account it was issued to, and the device key it holds."""

    context: Context
    person: PersonRead
    account: AccountRead
    phone: str = "0912345678"
    key: ec.EllipticCurvePrivateKey = field(default_factory=generate_signing_key)

    @property
    def jwk(self) -> dict[str, Any]:
        return dict(public_jwk(self.key))

    def another_device(self) -> Phone:
        """A new phone of the same holder, with a key of its own and nothing bound yet."""
        return Phone(self.context, self.person, self.account, self.phone)

    def proof(self, purpose: str = "login") -> str:
        """A device proof answering a fresh challenge, as the app makes one before each login or binding."""
        with unit_of_work(self.context.database.sessions) as session:
            nonce = issue_challenge(session=session, clock=self.context.clock)
        return make_proof(
            self.key, purpose=purpose, id_number=self.person.id_number, nonce=nonce, clock=self.context.clock
        )

    def request_code(self) -> str:
        with unit_of_work(self.context.database.sessions) as session:
            activation.request_activation_code(
                session=session,
                clock=self.context.clock,
                id_number=self.person.id_number,
                phone=self.phone,
                hasher=FAST,
            )
        return codes_sent(self.context, self.account.id)[0]

    def verify(self, code: str) -> str | CivicIDError:
        return attempt(
            self.context,
            lambda session: activation.verify_activation_code(
                session=session,
                clock=self.context.clock,
                id_number=self.person.id_number,
                phone=self.phone,
                code=code,
                hasher=FAST,
            ),
        )

    def complete(self, ticket: str, **changes: Any) -> activation.Activated:
        arguments: dict[str, Any] = {
            "password": HOLDER_PASSWORD,
            "passcode": PASSCODE,
            "answers": ANSWERS,
            "device_public_jwk": self.jwk,
            **changes,
        }
        with unit_of_work(self.context.database.sessions) as session:
            return activation.complete_activation(
                session=session,
                clock=self.context.clock,
                ticket=ticket,
                on_arrival=ARRIVAL,
                hasher=FAST,
                **arguments,
            )

    def login(self, password: str = HOLDER_PASSWORD, proof: str | None = None) -> login.HolderLogin | CivicIDError:
        """Log in from this phone as the app does (a fresh proof unless one is given); a refusal is returned."""
        return attempt(
            self.context,
            lambda session: login.login(
                session=session,
                clock=self.context.clock,
                id_number=self.person.id_number,
                password=password,
                device_proof=proof or self.proof(),
                on_arrival=ARRIVAL,
                hasher=FAST,
            ),
        )

    def session(self) -> login.Holder:
        """A logged-in holder on this phone (the login must succeed)."""
        done = self.login()
        assert isinstance(done, login.HolderLogin), done
        with unit_of_work(self.context.database.sessions) as session:
            return login.resolve_session(
                session=session, clock=self.context.clock, token=done.token, device_id=done.device_id
            )

    def activate(self) -> activation.Activated:
        ticket = self.verify(self.request_code())
        assert isinstance(ticket, str)
        return self.complete(ticket)


def holder_phone(context: Context, person: PersonRead, phone: str = "0912345678") -> Phone:
    """The phone of a holder whose account was just issued to that number, not yet activated."""
    return Phone(context, person, issued_account(context, person, phone=phone), phone=phone)


def activated_phone(context: Context, person: PersonRead, phone: str = "0912345678") -> Phone:
    """The phone of a holder who has activated their account on it."""
    holder = holder_phone(context, person, phone)
    holder.activate()
    return holder
