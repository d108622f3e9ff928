"""The accounts' service functions: the only way other capabilities reach e-ID accounts.

Issuing is not activating (DOMAIN.md): approval of an application *issues* an account, which waits
in ``pending_activation`` until its holder activates it on a phone. Every issue and upgrade is
audited in the caller's transaction, with ids and levels only, never the phone or ID number.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, cast

from sqlalchemy import Table, insert, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from civicid.accounts import repository
from civicid.accounts.errors import AccountNotFound, InvalidAccountInput, PhoneNumberTaken
from civicid.accounts.models import LEVELS, AccountStatus, EidAccount
from civicid.accounts.schemas import AccountRead, HolderAccount
from civicid.core import audit
from civicid.core.audit import Actor
from civicid.core.clock import Clock
from civicid.core.dialects import per_dialect
from civicid.core.ids import new_id
from civicid.core.lists import one_of
from civicid.country.phone import normalise_phone
from civicid.registry.errors import PersonNotFound

SOURCE_MAX_LENGTH = 100


def issue_account(
    *,
    session: Session,
    clock: Clock,
    actor: Actor,
    person_id: int,
    id_number: str,
    phone: str | None,
    level: int,
    source: str,
) -> AccountRead:
    """Issue ``person_id``'s e-ID account at ``level``, pending activation; idempotent per person.

    - No account yet: one is created (the unique person and phone constraints decide races).
    - An account at the same or a higher level: returned unchanged, whatever ``phone`` says (a
      change of phone number goes through the commune police, a later function).
    - An account at a lower level: upgraded; a phone given replaces the old one, since a higher level
      is issued in person and its phone number checked by an officer.

    Raises :class:`PhoneNumberTaken` when the number is bound to another account (one phone number,
    one account) and :class:`~civicid.registry.errors.PersonNotFound` for an unknown person.
    """
    if level not in LEVELS:
        raise InvalidAccountInput(f"level must be one of {', '.join(map(str, LEVELS))}", field="level")
    if not source or len(source) > SOURCE_MAX_LENGTH:
        raise InvalidAccountInput(f"source must have 1 to {SOURCE_MAX_LENGTH} characters", field="source")
    try:
        number = normalise_phone(phone)
    except ValueError as exc:
        raise InvalidAccountInput(str(exc), field="phone") from None
    existing = repository.get_by_person(session, person_id, for_update=True)
    if existing is None:
        return _create(session, clock, actor, person_id, id_number, number, level, source)
    if level <= existing.level:
        return AccountRead.model_validate(existing)
    return _upgrade(session, clock, actor, existing, number, level, source)


@dataclass(frozen=True)
class AccountRequest:
    """One account of :func:`issue_accounts`: the arguments of :func:`issue_account`."""

    person_id: int
    id_number: str
    phone: str | None
    level: int
    source: str


def issue_accounts(
    *, session: Session, clock: Clock, actor: Actor, requests: Sequence[AccountRequest]
) -> list[AccountRead | None]:
    """:func:`issue_account` for many persons, in order, set-based; ``None`` where the phone is taken.

    New accounts (the common case) cost one read of the persons' accounts, one of the phone numbers,
    one INSERT and one audit append for the lot; an upgrade goes through :func:`issue_account`. A
    race with another transaction surfaces as an IntegrityError for the whole batch, which the
    caller then retries one account at a time (docs/decisions/0020-set-based-stages.md).
    """
    checked = [_checked(r) for r in requests]
    dialect = session.get_bind().dialect.name
    persons = [r.person_id for r in checked]
    accounts = {a.person_id: a for a in session.scalars(_ACCOUNTS_OF[dialect], {"persons": persons})}
    phones = [r.phone for r in checked if r.phone is not None]
    taken = set(session.scalars(_PHONES_TAKEN[dialect], {"phones": phones})) if phones else set()
    results: list[AccountRead | None] = []
    created: dict[int, dict[str, Any]] = {}
    for request in checked:
        account = accounts.get(request.person_id)
        if account is not None:
            results.append(_existing(session, clock, actor, account, request))
        elif request.person_id in created:
            results.append(_issued_earlier_in_batch(created[request.person_id], request))
        elif request.phone is not None and request.phone in taken:
            results.append(None)
        else:
            row = created[request.person_id] = _new_account(clock, request)
            if request.phone is not None:
                taken.add(request.phone)
            results.append(AccountRead.model_validate(row))
    _insert_created(session, clock, actor, list(created.values()))
    return results


def _issued_earlier_in_batch(row: dict[str, Any], request: AccountRequest) -> AccountRead:
    """A second request for a person whose account this batch creates: answered as :func:`issue_account` would.

    Raising an upgrade of it makes the caller retry one account at a time, where the upgrade takes
    its ordinary path (a batch of one has no repeat).
    """
    if request.level > row["level"]:
        raise InvalidAccountInput("a batch cannot create and upgrade the same account", field="level")
    return AccountRead.model_validate(row)


def _checked(request: AccountRequest) -> AccountRequest:
    if request.level not in LEVELS:
        raise InvalidAccountInput(f"level must be one of {', '.join(map(str, LEVELS))}", field="level")
    if not request.source or len(request.source) > SOURCE_MAX_LENGTH:
        raise InvalidAccountInput(f"source must have 1 to {SOURCE_MAX_LENGTH} characters", field="source")
    try:
        number = normalise_phone(request.phone)
    except ValueError as exc:
        raise InvalidAccountInput(str(exc), field="phone") from None
    return AccountRequest(request.person_id, request.id_number, number, request.level, request.source)


def _existing(
    session: Session, clock: Clock, actor: Actor, account: EidAccount, request: AccountRequest
) -> AccountRead | None:
    if request.level <= account.level:
        return AccountRead.model_validate(account)
    try:
        return _upgrade(session, clock, actor, account, request.phone, request.level, request.source)
    except PhoneNumberTaken:
        return None


def _new_account(clock: Clock, request: AccountRequest) -> dict[str, Any]:
    """The row of a new account, pending activation (a dict: an ORM object per account cost more than its INSERT)."""
    now = clock.now()
    return {
        "id": new_id(),
        "person_id": request.person_id,
        "id_number": request.id_number,
        "phone": request.phone,
        "level": request.level,
        "status": AccountStatus.PENDING_ACTIVATION,
        "issued_at": now,
        "activated_at": None,
        "issued_from": request.source,
        "updated_at": now,
    }


# Built once: the set-based issue stage reads its persons' accounts and phones by lists (one array
# parameter on PostgreSQL, core/lists.py) and inserts its accounts with one Core executemany.
_ACCOUNTS_OF = per_dialect(
    lambda dialect: select(EidAccount).where(one_of(EidAccount.person_id, "persons", dialect)).with_for_update()
)
_PHONES_TAKEN = per_dialect(lambda dialect: select(EidAccount.phone).where(one_of(EidAccount.phone, "phones", dialect)))
_INSERT_ACCOUNTS = insert(cast(Table, EidAccount.__table__))


def _insert_created(session: Session, clock: Clock, actor: Actor, created: list[dict[str, Any]]) -> None:
    if not created:
        return
    session.connection().execute(_INSERT_ACCOUNTS, created)
    audit.record_many(
        session=session,
        clock=clock,
        actor=actor,
        entries=[
            (
                "account.issue",
                "person",
                str(a["person_id"]),
                {"account_id": a["id"], "level": a["level"], "source": a["issued_from"]},
            )
            for a in created
        ],
    )


def _create(
    session: Session,
    clock: Clock,
    actor: Actor,
    person_id: int,
    id_number: str,
    phone: str | None,
    level: int,
    source: str,
) -> AccountRead:
    now = clock.now()
    account = EidAccount(
        id=new_id(),
        person_id=person_id,
        id_number=id_number,
        phone=phone,
        level=level,
        status=AccountStatus.PENDING_ACTIVATION,
        issued_at=now,
        activated_at=None,
        issued_from=source,
        updated_at=now,
    )
    try:
        with session.begin_nested():
            session.add(account)
            session.flush()  # The unique person and phone constraints are enforced here.
    except IntegrityError:
        if repository.get_by_person(session, person_id) is not None:
            # Another transaction issued this person's account first: answer as if it were ours.
            return issue_account(
                session=session,
                clock=clock,
                actor=actor,
                person_id=person_id,
                id_number=id_number,
                phone=phone,
                level=level,
                source=source,
            )
        if phone is not None and repository.get_by_phone(session, phone) is not None:
            raise PhoneNumberTaken("this phone number is already bound to another e-ID account") from None
        raise PersonNotFound(f"no person with id {person_id}") from None
    audit_account(session, clock, actor, "account.issue", account, {"level": level, "source": source})
    return AccountRead.model_validate(account)


def _upgrade(
    session: Session, clock: Clock, actor: Actor, account: EidAccount, phone: str | None, level: int, source: str
) -> AccountRead:
    previous = account.level
    changed = ["level", "issued_from"]
    account.level = level
    account.issued_from = source
    if phone is not None and phone != account.phone:
        account.phone = phone
        changed.append("phone")
    account.updated_at = clock.now()
    try:
        with session.begin_nested():
            session.flush()  # The unique phone constraint is enforced here.
    except IntegrityError:
        raise PhoneNumberTaken("this phone number is already bound to another e-ID account") from None
    details = {"from_level": previous, "level": level, "source": source, "fields": sorted(changed)}
    audit_account(session, clock, actor, "account.upgrade", account, details)
    if level >= 2:
        _leave_guardian(session, clock, actor, account)
    return AccountRead.model_validate(account)


def _leave_guardian(session: Session, clock: Clock, actor: Actor, account: EidAccount) -> None:
    """A child's account brought to level 2 leaves the parent's: it is the holder's own from now on.

    DOMAIN.md: from 14 a person holds an account of their own, and level 2 is issued in person with
    the holder's own phone. The account waits for activation on that phone, through the same SMS code
    and steps as any issued account; until then the parent no longer sees or answers for it.
    """
    guardian_account_id = repository.release_guarded(session, account.id)
    if guardian_account_id is None:
        return
    account.status = AccountStatus.PENDING_ACTIVATION
    account.activated_at = None
    repository.end_sessions(session, account.id)
    repository.unbind_device(session, account.id)
    session.flush()
    details = {"guardian_account_id": guardian_account_id}
    audit_account(session, clock, actor, "account.guardian_release", account, details)


def find_account_by_person(*, session: Session, person_id: int) -> AccountRead | None:
    account = repository.get_by_person(session, person_id)
    return None if account is None else AccountRead.model_validate(account)


def find_account(*, session: Session, account_id: str) -> AccountRead | None:
    """The account, or ``None`` for an unknown id: other folders read accounts through here."""
    account = repository.get_account(session, account_id)
    return None if account is None else AccountRead.model_validate(account)


def get_account(*, session: Session, account_id: str) -> AccountRead:
    account = repository.get_account(session, account_id)
    if account is None:
        raise AccountNotFound("no such e-ID account")
    return AccountRead.model_validate(account)


def get_account_by_person(*, session: Session, person_id: int) -> AccountRead:
    account = find_account_by_person(session=session, person_id=person_id)
    if account is None:
        raise AccountNotFound(f"no e-ID account for person {person_id}")
    return account


def device_public_jwk(*, session: Session, account_id: str) -> dict[str, str] | None:
    """The public JWK of the device the account is bound to (what credentials bind to), or None."""
    device = repository.get_device(session, account_id)
    return None if device is None else dict(device.public_jwk)


def account_counts(*, session: Session) -> dict[str, dict[int, int]]:
    """Accounts issued (any status) and active, by level: campaign figures count both (DOMAIN.md)."""
    counts: dict[str, dict[int, int]] = {"issued": dict.fromkeys(LEVELS, 0), "active": dict.fromkeys(LEVELS, 0)}
    for level, status, count in repository.counts_by_level_and_status(session):
        counts["issued"][level] += count
        if status == AccountStatus.ACTIVE:
            counts["active"][level] += count
    return counts


def audit_account(
    session: Session, clock: Clock, actor: Actor, action: str, account: HolderAccount, details: Mapping[str, object]
) -> None:
    """One audit entry about an account, ids only. The subject is the person, so the account's history
    shows in the holder's own audit trail."""
    audit.record(
        session=session,
        clock=clock,
        actor=actor,
        action=action,
        subject_type="person",
        subject_id=str(account.person_id),
        details={"account_id": account.id, **details},
    )
