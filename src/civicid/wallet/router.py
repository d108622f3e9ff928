"""The holder's wallet API, mounted under the account: ``/api/v1/accounts/me/wallet``.

A request carries the session token from login (``Authorization: Bearer``) and the device id it
was opened on (``CivicID-Device``); a token from another device, or from a device since unbound,
is refused.
"""

from __future__ import annotations

from fastapi import APIRouter

from civicid.accounts.activation import holder_actor
from civicid.accounts.router import CurrentHolder
from civicid.wallet import service
from civicid.wallet.schemas import WalletRead
from civicid.web.deps import AppContext, DbSession
from civicid.web.problems import problem_responses

router = APIRouter(tags=["wallet"])


@router.get("", responses=problem_responses(401))
def get_wallet(context: AppContext, session: DbSession, request: CurrentHolder) -> WalletRead:
    """The holder's documents: requested, integrated (confirmed by the agency) or refused with a reason."""
    holder = request.holder
    return service.list_documents(
        session=session, clock=context.clock, actor=holder_actor(holder.account_id), person_id=holder.person_id
    )
