"""One way to make data in tests: valid, rule-following people with few words, and SMS in the outbox."""

from __future__ import annotations

import datetime as dt
import itertools
from collections.abc import Callable

from sqlalchemy.orm import Session

from civicid.core.audit import Actor
from civicid.core.clock import Clock
from civicid.country.id_number import make_id_number
from civicid.country.sex import Sex
from civicid.notify import service as notify
from civicid.notify.schemas import NotificationRead
from civicid.registry.schemas import PersonIn, PersonRead

COMMUNE = "01879"  # Xã Cao Minh, Thái Nguyên (2025 list)
OFFICER = Actor("staff", "officer.test")

_serials = itertools.count(1)
MakePerson = Callable[..., PersonRead]


def person_in(household_id: int, full_name: str, born: dt.date, sex: Sex = Sex.MALE, **extra: object) -> PersonIn:
    """A person whose ID number follows the rules for their birth date and sex."""
    number = make_id_number(province_code="019", date_of_birth=born, sex=sex, serial=next(_serials))
    return PersonIn(
        id_number=number, full_name=full_name, date_of_birth=born, sex=sex, household_id=household_id, **extra
    )


def queue_approved_sms(
    session: Session, clock: Clock, application_id: str, *, to: str = "0912345678", idempotency_key: str | None = None
) -> NotificationRead:
    """The SMS that tells a citizen their application was approved, queued in the caller's transaction."""
    return notify.queue_sms(
        session=session,
        clock=clock,
        to=to,
        template="application_approved",
        params={},
        related_type="application",
        related_id=application_id,
        idempotency_key=idempotency_key or f"application_approved:{application_id}",
    )
