"""Assisted activation for people without a smartphone: face to face, at the commune office, by an operator.

1. :func:`start_assisted`: the operator has checked the citizen against the registry's portrait and
   records the citizen's consent (who, when, which operator, which phone). A 6-digit code goes by SMS
   to the phone the citizen names — their own, or a trusted relative's — or is shown on the operator's
   screen for the citizen to type.
2. :func:`confirm_assisted`: the citizen types the code; the account is active. It is then used at the
   office and through the paper card (``credentials.service.paper_card``); no phone is bound to it, and
   the relative's phone stays the relative's (one phone number, one account: the elder's account
   keeps no phone, the consent record keeps the contact).

A relative's phone may serve several elders, each account separate, up to
:data:`MAX_ACCOUNTS_PER_CONTACT_PHONE` (docs/decisions/0054-assisted-activation.md). The code is
single-use, expires after :data:`CODE_LIFETIME`, dies after :data:`MAX_ATTEMPTS` wrong tries, and only
its Argon2id hash is kept. Every step and every refusal is audited, ids and kinds only.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import NoReturn

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from civicid.accounts import repository, service
from civicid.accounts.errors import AssistedRefused
from civicid.accounts.hashing import PRODUCTION, SecretHasher, mask_phone, new_code
from civicid.accounts.models import AccountStatus, AssistedActivation, AssistedDelivery, EidAccount
from civicid.core import audit
from civicid.core.audit import Actor
from civicid.core.clock import Clock
from civicid.core.ids import new_id
from civicid.country.age import age_on
from civicid.country.phone import normalise_phone
from civicid.notify import service as notify
from civicid.registry import service as registry
from civicid.registry.errors import PersonNotFound

MAX_ACCOUNTS_PER_CONTACT_PHONE = 5
ASSISTED_MIN_AGE = 14
CODE_LIFETIME = dt.timedelta(minutes=10)
MAX_ATTEMPTS = 5
RELATIONS = ("self", "spouse", "child", "grandchild", "sibling", "relative", "neighbour")
SOURCE = "assisted"


@dataclass(frozen=True)
class AssistedStarted:
    """What the operator's screen shows: the code itself only when it is to be typed from the screen."""

    activation_id: str
    account_id: str
    delivery: AssistedDelivery
    code_on_screen: str | None
    phone_masked: str | None
    expires_in_seconds: int


def start_assisted(
    *,
    session: Session,
    clock: Clock,
    operator: Actor,
    commune_code: str | None,
    person_id: int,
    identity_checked: bool,
    consent: bool,
    delivery: AssistedDelivery,
    contact_phone: str | None,
    contact_relation: str,
    hasher: SecretHasher = PRODUCTION,
) -> AssistedStarted:
    """Record the consent and send (or show) the code; :class:`AssistedRefused` (recorded first) otherwise.

    ``commune_code`` is the operator's scope (``None`` for a central role): a person elsewhere is refused.
    """
    try:
        person = registry.get_person(
            session=session, clock=clock, actor=operator, person_id=person_id, commune_code=commune_code
        )
    except PersonNotFound:
        _refuse(session, clock, operator, "out_of_scope", person_id)
    if age_on(person.date_of_birth, clock.today()) < ASSISTED_MIN_AGE:
        _refuse(session, clock, operator, "too_young", person_id)  # a parent adds a child (children.py)
    if not identity_checked:
        _refuse(session, clock, operator, "identity_not_checked", person_id)
    if not consent:
        _refuse(session, clock, operator, "no_consent", person_id)
    if contact_relation not in RELATIONS:
        _refuse(session, clock, operator, "relation_unknown", person_id)
    phone = _phone(contact_phone)
    if phone is None and (delivery is AssistedDelivery.SMS or contact_phone):
        _refuse(session, clock, operator, "phone_invalid", person_id)
    account = repository.get_by_person(session, person_id, for_update=True)
    if account is not None and account.status is not AccountStatus.PENDING_ACTIVATION:
        _refuse(session, clock, operator, "already_active", person_id)
    if (
        phone is not None
        and contact_relation != "self"
        and _accounts_served(session, phone, account) >= MAX_ACCOUNTS_PER_CONTACT_PHONE
    ):
        _refuse(session, clock, operator, "phone_limit", person_id)
    if account is None:
        issued = service.issue_account(
            session=session,
            clock=clock,
            actor=operator,
            person_id=person.id,
            id_number=person.id_number,
            phone=None,
            level=1,
            source=SOURCE,
        )
        account = repository.get_account(session, issued.id)
        assert account is not None  # noqa: S101 - issued just above, in this transaction
    code = new_code()
    now = clock.now()
    row = AssistedActivation(
        id=new_id(),
        account_id=account.id,
        operator=operator.name,
        commune_code=_commune_of(session, person.household_id),
        contact_phone=phone,
        contact_relation=contact_relation,
        delivery=delivery,
        consent_at=now,
        code_hash=hasher.hash(code),
        expires_at=now + CODE_LIFETIME,
        failed_attempts=0,
        confirmed_at=None,
    )
    session.add(row)
    if delivery is AssistedDelivery.SMS:
        assert phone is not None  # noqa: S101 - refused above without one
        notify.queue_sms(
            session=session,
            clock=clock,
            to=phone,
            template="activation_code",
            params={"code": code, "minutes": str(CODE_LIFETIME.seconds // 60)},
            related_type="assisted_activation",
            related_id=row.id,
            idempotency_key=f"assisted_code:{row.id}",
            commune_code=row.commune_code,
        )
    service.audit_account(
        session,
        clock,
        operator,
        "account.assisted_start",
        account,
        {"activation_id": row.id, "delivery": delivery.value, "relation": contact_relation},
    )
    return AssistedStarted(
        activation_id=row.id,
        account_id=account.id,
        delivery=delivery,
        code_on_screen=code if delivery is AssistedDelivery.SCREEN else None,
        phone_masked=mask_phone(phone),
        expires_in_seconds=int(CODE_LIFETIME.total_seconds()),
    )


def confirm_assisted(
    *,
    session: Session,
    clock: Clock,
    operator: Actor,
    commune_code: str | None,
    activation_id: str,
    code: str,
    hasher: SecretHasher = PRODUCTION,
) -> str:
    """The citizen typed ``code``: the account is active (its id is returned); a wrong code counts and is refused."""
    row = session.get(AssistedActivation, activation_id, with_for_update=True)
    if row is not None and commune_code is not None and row.commune_code != commune_code:
        row = None  # another commune's activation: as unknown as a made-up id
    now = clock.now()
    live = row is not None and row.confirmed_at is None and row.expires_at > now and row.failed_attempts < MAX_ATTEMPTS
    matches = hasher.verify(row.code_hash if row is not None and live else None, code.strip())
    if row is None or not live or not matches:
        if row is not None and live:
            row.failed_attempts += 1
        _refuse(session, clock, operator, "invalid_code", None)
    account = repository.get_account(session, row.account_id)
    assert account is not None  # noqa: S101 - the row's foreign key
    if account.status is not AccountStatus.PENDING_ACTIVATION:
        _refuse(session, clock, operator, "already_active", account.person_id)
    row.confirmed_at = now
    account.status, account.activated_at, account.updated_at = AccountStatus.ACTIVE, now, now
    service.audit_account(session, clock, operator, "account.assisted_activate", account, {"activation_id": row.id})
    return account.id


def assisted_count(*, session: Session, commune_code: str | None = None) -> int:
    """Assisted activations confirmed (in a commune): what the campaign counts."""
    query = select(func.count()).select_from(AssistedActivation).where(AssistedActivation.confirmed_at.is_not(None))
    if commune_code is not None:
        query = query.where(AssistedActivation.commune_code == commune_code)
    return session.scalar(query) or 0


def _accounts_served(session: Session, phone: str, account: EidAccount | None) -> int:
    """The other accounts this contact phone already serves (confirmed assisted activations)."""
    query = select(func.count(func.distinct(AssistedActivation.account_id))).where(
        AssistedActivation.contact_phone == phone, AssistedActivation.confirmed_at.is_not(None)
    )
    if account is not None:
        query = query.where(AssistedActivation.account_id != account.id)
    return session.scalar(query) or 0


def _phone(value: str | None) -> str | None:
    try:
        return normalise_phone(value)
    except ValueError:
        return None


def _commune_of(session: Session, household_id: int) -> str:
    return registry.communes_of_households(session=session, household_ids=[household_id])[household_id]


def _refuse(session: Session, clock: Clock, operator: Actor, reason: str, person_id: int | None) -> NoReturn:
    audit.record(
        session=session,
        clock=clock,
        actor=operator,
        action="account.assisted_refuse",
        subject_type="person" if person_id is not None else "assisted_activation",
        subject_id=str(person_id) if person_id is not None else "-",
        details={"reason": reason},
    )
    raise AssistedRefused(f"assisted activation refused: {reason}", reason=reason)
