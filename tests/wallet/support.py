"""The wallet in tests: hand-overs as the issue stage makes them, the holder's reads and additions as the
API makes them (a refusal committed, then returned), and the worker of the wallet's jobs."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from sqlalchemy.orm import Session
from tests.factories import PASSCODE, Phone, issued_account

from civicid.accounts.errors import RECORDED_REFUSALS
from civicid.accounts.hashing import FAST
from civicid.agencies.adapters import SimulatedAgencies
from civicid.core.audit import SYSTEM
from civicid.core.database import unit_of_work
from civicid.core.errors import CivicIDError
from civicid.core.jobs import Worker
from civicid.core.runtime import Context
from civicid.registry.schemas import PersonRead
from civicid.wallet import service as wallet
from civicid.wallet import tasks
from civicid.wallet.errors import DocumentNotConfirmed
from civicid.wallet.schemas import DocumentAdd, WalletDocumentDetail, WalletDocumentSummary, WalletRead

AGENCIES = SimulatedAgencies()
T = TypeVar("T")


def wallet_of(context: Context, person: PersonRead) -> WalletRead:
    """The wallet as it stands (a staff-side read: nothing is asked of the agencies)."""
    with unit_of_work(context.database.sessions) as session:
        return wallet.list_documents(session=session, clock=context.clock, actor=SYSTEM, person_id=person.id)


def activated(context: Context, person: PersonRead, phone: str = "0912345678") -> Phone:
    holder = Phone(context, person, issued_account(context, person, phone=phone), phone=phone)
    holder.activate()
    return holder


def opened(phone: Phone) -> WalletRead:
    """The holder opens the wallet in the app."""
    with unit_of_work(phone.context.database.sessions) as session:
        return wallet.open_wallet(
            session=session,
            clock=phone.context.clock,
            agencies=AGENCIES,
            account_id=phone.account.id,
            person_id=phone.person.id,
        )


def add(phone: Phone, kind: str, number: str, **fields: str) -> WalletDocumentSummary | CivicIDError:
    """The holder adds a document in the app; a refusal is committed, then returned."""
    return _committed(
        phone,
        lambda session: wallet.add_document(
            session=session,
            clock=phone.context.clock,
            agencies=AGENCIES,
            account_id=phone.account.id,
            person_id=phone.person.id,
            document_in=DocumentAdd(kind=kind, number=number, fields=fields),
        ),
        (DocumentNotConfirmed,),
    )


def open_document(phone: Phone, document_id: str, passcode: str = PASSCODE) -> WalletDocumentDetail | CivicIDError:
    """The holder opens a document with the passcode; a refusal (wrong, locked) is committed, then returned."""
    return _committed(
        phone,
        lambda session: wallet.open_document(
            session=session,
            clock=phone.context.clock,
            account_id=phone.account.id,
            person_id=phone.person.id,
            document_id=document_id,
            passcode=passcode,
            hasher=FAST,
        ),
        RECORDED_REFUSALS,
    )


def _committed(
    phone: Phone, work: Callable[[Session], T], refusals: tuple[type[CivicIDError], ...]
) -> T | CivicIDError:
    """Run ``work`` as the API does (``accounts.router.recorded``), returning the refusal instead of raising it."""
    with unit_of_work(phone.context.database.sessions) as session:
        try:
            return work(session)
        except refusals as exc:
            return exc


def run_wallet_jobs(context: Context) -> int:
    worker = Worker(sessions=context.database.sessions, clock=context.clock, handlers=tasks.handlers(AGENCIES))
    return worker.run_until_idle()
