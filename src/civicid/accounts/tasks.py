"""The accounts' job handlers, run by the worker (core/jobs.py; the composition wires them in).

- ``registry.standing_changed``: a person's record changed in a way accounts depend on (a death,
  a card revoked, expired or replaced). The account's registry grounds are placed or lifted to
  match: it locks on death or an invalid card, and unlocks by itself when no ground remains.
"""

from __future__ import annotations

from collections.abc import Mapping

from sqlalchemy.orm import Session

from civicid.accounts import repository
from civicid.accounts.locks import reconcile_registry_grounds
from civicid.accounts.models import AccountStatus
from civicid.core.clock import Clock
from civicid.core.jobs import Handler
from civicid.registry import service as registry


def standing_changed(session: Session, clock: Clock, subject_id: str) -> None:
    account = repository.get_by_person(session, int(subject_id), for_update=True)
    if account is None or account.status is AccountStatus.CLOSED:
        return
    standing = registry.standing_of(session=session, person_id=account.person_id, today=clock.today())
    reconcile_registry_grounds(
        session=session, clock=clock, account_id=account.id, dead=standing.dead, card_invalid=standing.card_invalid
    )


HANDLERS: Mapping[str, Handler] = {registry.STANDING_CHANGED: standing_changed}
