"""The demo's "everyone gets an account" story (issue 19): a parent with a child's account, a child's card
issued, and an elder activated at the office with a relative's phone.

Everything goes through the services a person would reach: the parent activates a level-2 account and
adds the child under 6 (the registry's guardian link decides), asks for the child's card from the app
(a ``child_card`` packet through intake), the supervisor approves it and the pipeline issues it; an
operator activates an elder without a smartphone, face to face, the code going to a grandchild's phone.
The codes are read from the SMS outbox, as the phones would receive them.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from civicid.accounts import activation, assisted, children
from civicid.accounts import service as accounts
from civicid.accounts.hashing import FAST
from civicid.accounts.ports import nothing_on_arrival
from civicid.accounts.queries import account_status, eid_accounts
from civicid.accounts.statuses import AccountStatus, AssistedDelivery
from civicid.biometrics.simulated import drawn_portrait, simulated_extractors
from civicid.core.audit import Actor
from civicid.core.crypto import generate_signing_key, public_jwk
from civicid.core.database import unit_of_work
from civicid.core.runtime import Context
from civicid.country.age import latest_birth_date
from civicid.enrollment import approval, online
from civicid.enrollment.queries import application_status
from civicid.enrollment.runtime import blobs_of, build_pipeline, build_worker, keystore_of
from civicid.notify import service as notify
from civicid.registry.codes import ResidenceStatus
from civicid.registry.queries import guardian_links, persons, villages

PARENT_PASSWORD = "Cha-Me-2025!"  # noqa: S105 - public: a demo holds only synthetic data
PARENT_PASSCODE = "246810"
PARENT_PHONE = "0988000001"
RELATIVE_PHONE = "0988000002"
OPERATOR = Actor("staff", "operator")
SUPERVISOR = Actor("staff", "supervisor")


@dataclass(frozen=True)
class EveryoneStory:
    parent_id_number: str
    child_name: str
    child_card: str  # the application's status: "issued" once the pipeline is done
    elder_name: str

    def as_dict(self) -> dict[str, Any]:
        return {
            "parent": {"id_number": self.parent_id_number, "password": PARENT_PASSWORD, "phone": PARENT_PHONE},
            "child": self.child_name,
            "child_card": self.child_card,
            "elder_activated_with_relatives_phone": self.elder_name,
        }


def everyone_story(context: Context, commune_code: str) -> EveryoneStory | None:
    """Play the story in the demo commune; ``None`` when it has no parent of a child under 6 or no elder."""
    today = context.clock.today()
    found = _parent_and_child(context, commune_code, today)
    elder = _elder(context, commune_code, today)
    if found is None or elder is None:
        return None
    parent, child = found
    parent_account = _activated_parent(context, parent)
    with unit_of_work(context.database.sessions) as session:
        kid = children.add_child(
            session=session, clock=context.clock, guardian_account_id=parent_account, child_id_number=child.id_number
        )
        receipt = online.request_child_card(
            session=session,
            clock=context.clock,
            blobs=blobs_of(context),
            keystore=keystore_of(context),
            guardian_account_id=parent_account,
            child_account_id=kid.account_id,
            portrait=drawn_portrait(child.id),
            confirmed=True,
        )
    worker = build_worker(context, build_pipeline(context, simulated_extractors()), name="simulator")
    worker.run_until_idle()
    with unit_of_work(context.database.sessions) as session:
        approval.approve(
            session=session, clock=context.clock, supervisor=SUPERVISOR, application_id=receipt.application_id
        )
    worker.run_until_idle()
    with unit_of_work(context.database.sessions) as session:
        status = approval_status(session, receipt.application_id)
    _assisted(context, elder)
    return EveryoneStory(parent.id_number, child.full_name, status, elder.full_name)


def approval_status(session: Session, application_id: str) -> str:
    status = application_status(session, application_id)
    return "unknown" if status is None else str(status.value)


@dataclass(frozen=True)
class _Resident:
    id: int
    id_number: str
    full_name: str


def _parent_and_child(context: Context, commune_code: str, today: dt.date) -> tuple[_Resident, _Resident] | None:
    child, parent = persons.alias("child"), persons.alias("parent")
    with unit_of_work(context.database.sessions) as session:
        row = session.execute(
            select(*_named(parent), *_named(child))
            .join(guardian_links, guardian_links.c.guardian_id == parent.c.id)
            .join(child, child.c.id == guardian_links.c.child_id)
            .join(villages, villages.c.id == parent.c.village_id)
            .where(
                villages.c.commune_code == commune_code,
                child.c.date_of_birth > latest_birth_date(today, 6),
                parent.c.date_of_birth <= latest_birth_date(today, 18),
                parent.c.residence_status == ResidenceStatus.PRESENT,
                parent.c.id.not_in(select(eid_accounts.c.person_id)),
            )
            .order_by(parent.c.id, child.c.id)
        ).first()
    return None if row is None else (_Resident(*row[:3]), _Resident(*row[3:]))


def _named(table: Any) -> tuple[Any, Any, Any]:
    return table.c.id, table.c.id_number, table.c.full_name


def _elder(context: Context, commune_code: str, today: dt.date) -> _Resident | None:
    with unit_of_work(context.database.sessions) as session:
        row = session.execute(
            select(*_named(persons))
            .join(villages, villages.c.id == persons.c.village_id)
            .where(
                villages.c.commune_code == commune_code,
                persons.c.date_of_birth <= latest_birth_date(today, 70),
                persons.c.has_smartphone.is_(False),
                persons.c.residence_status == ResidenceStatus.PRESENT,
                persons.c.id.not_in(select(eid_accounts.c.person_id)),
            )
            .order_by(persons.c.id)
        ).first()
    return None if row is None else _Resident(*row)


def _activated_parent(context: Context, parent: _Resident) -> str:
    """The parent's level-2 account, issued and activated on a phone (a key the demo holds); its id."""
    with unit_of_work(context.database.sessions) as session:
        account = accounts.issue_account(
            session=session,
            clock=context.clock,
            actor=OPERATOR,
            person_id=parent.id,
            id_number=parent.id_number,
            phone=PARENT_PHONE,
            level=2,
            source="demo:everyone",
        )
        activation.request_activation_code(
            session=session, clock=context.clock, id_number=parent.id_number, phone=PARENT_PHONE, hasher=FAST
        )
    code = _last_code(context, "account", account.id)
    with unit_of_work(context.database.sessions) as session:
        ticket = activation.verify_activation_code(
            session=session,
            clock=context.clock,
            id_number=parent.id_number,
            phone=PARENT_PHONE,
            code=code,
            hasher=FAST,
        )
        activation.complete_activation(
            session=session,
            clock=context.clock,
            ticket=ticket,
            password=PARENT_PASSWORD,
            passcode=PARENT_PASSCODE,
            answers=(
                activation.SecurityAnswer("first_school", "Trường Tiểu học Cao Minh"),
                activation.SecurityAnswer("mother_village", "Nà Pục"),
            ),
            device_public_jwk=dict(public_jwk(generate_signing_key())),
            on_arrival=nothing_on_arrival,
        )
    return account.id


def _assisted(context: Context, elder: _Resident) -> None:
    with unit_of_work(context.database.sessions) as session:
        started = assisted.start_assisted(
            session=session,
            clock=context.clock,
            operator=OPERATOR,
            commune_code=None,
            person_id=elder.id,
            identity_checked=True,
            consent=True,
            delivery=AssistedDelivery.SMS,
            contact_phone=RELATIVE_PHONE,
            contact_relation="grandchild",
        )
    code = _last_code(context, "assisted_activation", started.activation_id)
    with unit_of_work(context.database.sessions) as session:
        assisted.confirm_assisted(
            session=session,
            clock=context.clock,
            operator=OPERATOR,
            commune_code=None,
            activation_id=started.activation_id,
            code=code,
        )
        assert account_status(session, started.account_id) is AccountStatus.ACTIVE  # noqa: S101 - just activated


def _last_code(context: Context, related_type: str, related_id: str) -> str:
    with unit_of_work(context.database.sessions) as session:
        sent = notify.notifications_for(session=session, related_type=related_type, related_id=related_id)
    found = re.search(r"\b\d{6}\b", sent[0].text)
    assert found is not None  # noqa: S101 - every code SMS carries its code
    return found.group(0)
