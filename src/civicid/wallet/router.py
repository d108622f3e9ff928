"""The holder's wallet and e-ID card API, under the account: ``/api/v1/accounts/me/wallet`` and ``…/me/card``.

A request carries the session token from login (``Authorization: Bearer``) and the device id it
was opened on (``CivicID-Device``); a token from another device, or from a device since unbound,
is refused. Adding a document and opening one can record a refusal (an agency's, a wrong
passcode): those routes run their own unit of work, which commits the refusal before it is raised
(``accounts.router.recorded``), and never also take the request's ``DbSession``.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Path, Request, Response
from sqlalchemy.orm import Session

from civicid.accounts import children
from civicid.accounts.activation import holder_actor
from civicid.accounts.router import CurrentHolder, Hasher, recorded
from civicid.accounts.schemas import PasscodeIn
from civicid.agencies.adapters import NoAgencies
from civicid.agencies.ports import AgencyRegistry
from civicid.wallet import card, service
from civicid.wallet.errors import DocumentNotConfirmed
from civicid.wallet.models import DocumentStatus
from civicid.wallet.portraits import SVG, SVG_POLICY, PortraitVault
from civicid.wallet.schemas import (
    CardRead,
    DocumentAdd,
    WalletDocumentDetail,
    WalletDocumentSummary,
    WalletKindsRead,
    WalletRead,
)
from civicid.web.deps import AppContext, DbSession
from civicid.web.problems import problem_responses

router = APIRouter(tags=["wallet"])
card_router = APIRouter(tags=["wallet"])


def agency_registry(request: Request) -> AgencyRegistry:
    """The agencies the app factory plugged in (``civicid/plugins.py``); none otherwise."""
    agencies: AgencyRegistry | None = getattr(request.app.state, "agencies", None)
    return agencies or NoAgencies()


def portrait_vault(request: Request, context: AppContext) -> PortraitVault:
    """The deployment's portrait key, opened from the keystore once per app."""
    vault: PortraitVault | None = getattr(request.app.state, "portrait_vault", None)
    if vault is None:
        vault = request.app.state.portrait_vault = PortraitVault.of_data_dir(context.settings.data_dir)
    return vault


Agencies = Annotated[AgencyRegistry, Depends(agency_registry)]
Vault = Annotated[PortraitVault, Depends(portrait_vault)]
DocumentId = Annotated[str, Path(max_length=36)]


@router.get("", responses=problem_responses(401))
def get_wallet(context: AppContext, session: DbSession, request: CurrentHolder, agencies: Agencies) -> WalletRead:
    """The holder's documents, summarised (numbers masked): requested, pending (the agency could not be
    reached), integrated (confirmed by the agency) or refused with a reason. Answers older than a day
    are asked again first; a revoked or expired document is marked, one expiring within 30 days flagged."""
    holder = request.holder
    return service.open_wallet(
        session=session,
        clock=context.clock,
        agencies=agencies,
        account_id=holder.account_id,
        person_id=holder.person_id,
    )


@router.get("/kinds", responses=problem_responses(401))
def get_kinds(request: CurrentHolder, agencies: Agencies) -> WalletKindsRead:
    """The kinds a holder can add, who confirms each, and the key fields to type, labelled in Vietnamese and English."""
    return service.document_kinds(agencies)


@router.post("/documents", status_code=201, responses=problem_responses(400, 401, 409, 422))
def post_document(
    body: DocumentAdd, request: CurrentHolder, context: AppContext, agencies: Agencies, response: Response
) -> WalletDocumentSummary:
    """Add a document by its key fields: 201 integrated, confirmed by its agency; 202 ``pending`` while the
    agency cannot be reached (a job asks again). A document the agency does not confirm for this holder is
    refused (400 ``document_not_confirmed``), whether or not it exists for someone else."""
    holder = request.holder
    added = recorded(
        context,
        lambda session: service.add_document(
            session=session,
            clock=context.clock,
            agencies=agencies,
            account_id=holder.account_id,
            person_id=holder.person_id,
            document_in=body,
        ),
        refusals=(DocumentNotConfirmed,),
    )
    return _answered(added, response)


@router.post("/documents/{document_id}/open", responses=problem_responses(401, 403, 404, 422, 423))
def open_document(
    document_id: DocumentId, body: PasscodeIn, request: CurrentHolder, context: AppContext, hasher: Hasher
) -> WalletDocumentDetail:
    """A document's full details: its number, key fields and the agency's facts, with the passcode. Five
    wrong passcodes lock it for 15 minutes and end the sessions."""
    holder = request.holder
    return recorded(
        context,
        lambda session: service.open_document(
            session=session,
            clock=context.clock,
            account_id=holder.account_id,
            person_id=holder.person_id,
            document_id=document_id,
            passcode=body.passcode,
            hasher=hasher,
        ),
    )


@card_router.get("", responses=problem_responses(401))
def get_card(context: AppContext, session: DbSession, request: CurrentHolder) -> CardRead:
    """The e-ID card: name, ID number, date of birth, sex, the account's level and status, the chip card,
    and the portrait's address (null when enrollment left none). A read of the person's record, audited."""
    holder = request.holder
    return card.read_card(
        session=session, clock=context.clock, account_id=holder.account_id, person_id=holder.person_id
    )


@card_router.get(
    "/portrait",
    response_class=Response,
    responses={**problem_responses(401, 404), 200: {"content": {"image/jpeg": {}, SVG: {}}}},
)
def get_portrait(context: AppContext, session: DbSession, request: CurrentHolder, vault: Vault) -> Response:
    """The card's portrait, captured at level-2 enrollment: a JPEG thumbnail (the simulator's drawings: SVG)."""
    holder = request.holder
    portrait = card.read_portrait(
        session=session, clock=context.clock, vault=vault, account_id=holder.account_id, person_id=holder.person_id
    )
    headers = {"Content-Security-Policy": SVG_POLICY} if portrait.media_type == SVG else None
    return Response(content=portrait.image, media_type=portrait.media_type, headers=headers)


@router.get("/children/{child_account_id}", responses=problem_responses(401, 403))
def get_child_wallet(
    child_account_id: Annotated[str, Path(max_length=36)], context: AppContext, request: CurrentHolder
) -> WalletRead:
    """A parent sees the documents of a child whose account they hold (health insurance, the card): a read
    of the child's record, audited; any other account is refused ``not_a_child_account`` (recorded)."""
    guardian = request.holder.account_id

    def work(session: Session) -> WalletRead:
        child = children.child_of(
            session=session, clock=context.clock, guardian_account_id=guardian, child_account_id=child_account_id
        )
        return service.list_documents(
            session=session, clock=context.clock, actor=holder_actor(guardian), person_id=child.person_id
        )

    return recorded(context, work)


@router.post(
    "/children/{child_account_id}/documents", status_code=201, responses=problem_responses(400, 401, 403, 409, 422)
)
def post_child_document(
    child_account_id: Annotated[str, Path(max_length=36)],
    body: DocumentAdd,
    context: AppContext,
    request: CurrentHolder,
    agencies: Agencies,
    response: Response,
) -> WalletDocumentSummary:
    """A parent adds a document of a child whose account they hold (a health-insurance card), by its key
    fields, as for their own: the agency is asked about the child's ID number, the audit names the
    parent; 201 integrated, 202 ``pending``; any other account is refused ``not_a_child_account``."""
    guardian = request.holder.account_id

    def work(session: Session) -> WalletDocumentSummary:
        child = children.child_of(
            session=session, clock=context.clock, guardian_account_id=guardian, child_account_id=child_account_id
        )
        return service.add_document(
            session=session,
            clock=context.clock,
            agencies=agencies,
            account_id=child.account_id,
            person_id=child.person_id,
            document_in=body,
            actor=holder_actor(guardian),
        )

    added = recorded(context, work, refusals=(DocumentNotConfirmed,))
    return _answered(added, response)


def _answered(added: WalletDocumentSummary, response: Response) -> WalletDocumentSummary:
    """201 for a document its agency confirmed, 202 for one ``pending`` while the agency is down."""
    if added.status is DocumentStatus.PENDING:
        response.status_code = 202
    return added
