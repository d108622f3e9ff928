"""The wallet's job handlers, run by the worker (core/jobs.py; the composition wires them in).

- ``wallet.confirm_pending``: a document whose agency could not be reached is asked again. While the
  agency still does not answer the job fails and the worker retries it with backoff; the document
  stays ``pending`` (an outage never refuses a document). A job that ran out of attempts is armed
  again by the holder's next login or opening of the wallet.
"""

from __future__ import annotations

from collections.abc import Mapping

from sqlalchemy.orm import Session

from civicid.accounts import service as accounts
from civicid.accounts.activation import holder_actor
from civicid.agencies.errors import AgencyUnavailable
from civicid.agencies.ports import AgencyRegistry
from civicid.core.clock import Clock
from civicid.core.jobs import Handler
from civicid.wallet import checks, repository
from civicid.wallet.checks import CONFIRM_PENDING, Outcome
from civicid.wallet.models import DocumentStatus


def handlers(agencies: AgencyRegistry) -> Mapping[str, Handler]:
    """The wallet's handlers, asking the deployment's ``agencies``."""

    def confirm_pending(session: Session, clock: Clock, document_id: str) -> None:
        document = repository.get(session, document_id, for_update=True)
        if document is None or document.status is not DocumentStatus.PENDING:
            return
        account = accounts.find_account_by_person(session=session, person_id=document.person_id)
        if account is None:
            return
        outcome = checks.ask(
            session=session,
            clock=clock,
            actor=holder_actor(account.id),
            agencies=agencies,
            document=document,
            id_number=account.id_number,
            retry_by_job=False,
        )
        if outcome is Outcome.PENDING:
            raise AgencyUnavailable("the agency still does not answer")

    return {CONFIRM_PENDING: confirm_pending}
