"""The wallet's service functions: the only way other capabilities reach wallet documents.

Documents are integrated by reference (DOMAIN.md): the holder names a document's key fields (on
form TK01 at enrollment) and the owning agency confirms them. The rule for *when*
(docs/decisions/0013-wallet-documents-confirmed-at-activation.md): an issued application hands its
documents over as ``requested``; the agency is asked when the holder activates the account, the
moment the wallet becomes usable, and, for documents requested later, at the holder's next login.
Every hand-over, answer and read is audited with ids and kinds only, never a document number.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session

from civicid.accounts.activation import holder_actor
from civicid.accounts.ports import Arrival, HolderArrival
from civicid.core import audit
from civicid.core.audit import Actor
from civicid.core.clock import Clock
from civicid.core.ids import new_id
from civicid.wallet import repository
from civicid.wallet.errors import InvalidDocument
from civicid.wallet.models import DocumentKind, DocumentStatus
from civicid.wallet.ports import DocumentAuthority
from civicid.wallet.schemas import DocumentIn, WalletDocumentRead, WalletRead

NUMBER_MAX = 64


@dataclass(frozen=True)
class Handover:
    """One issued application's documents for its holder; ``source`` names it ("application:<id>")."""

    person_id: int
    source: str
    documents: Sequence[DocumentIn]


def hand_over_documents(*, session: Session, clock: Clock, actor: Actor, handovers: Sequence[Handover]) -> int:
    """Put a batch's documents in their holders' wallets as ``requested``; returns how many were new.

    Set-based: one read of the holders' documents, one INSERT, one audit append for the lot. A
    document the holder already has (same kind and number) is left as it is, so running the issue
    stage twice, or a second application listing the same licence, hands nothing over twice.
    """
    known = repository.existing_keys(session, [h.person_id for h in handovers])
    now = clock.now()
    rows: list[dict[str, Any]] = []
    for handover in handovers:
        for document in handover.documents:
            kind, number = _checked(document)
            if (handover.person_id, kind.value, number) in known:
                continue
            known.add((handover.person_id, kind.value, number))
            rows.append(
                {
                    "id": new_id(),
                    "person_id": handover.person_id,
                    "kind": kind,
                    "number": number,
                    "extra": document.extra or None,
                    "status": DocumentStatus.REQUESTED,
                    "reason": None,
                    "source": handover.source,
                    "requested_at": now,
                    "decided_at": None,
                }
            )
    if rows:
        repository.insert_new(session, rows)
        entries = [
            ("wallet.document_request", "person", str(r["person_id"]), _details(r["id"], r["kind"], r["source"]))
            for r in rows
        ]
        audit.record_many(session=session, clock=clock, actor=actor, entries=entries)
    return len(rows)


def confirm_documents(
    *, session: Session, clock: Clock, actor: Actor, person_id: int, id_number: str, authority: DocumentAuthority
) -> list[WalletDocumentRead]:
    """Ask the owning agencies about the holder's ``requested`` documents: each becomes integrated or refused."""
    documents = repository.of_holder(session, person_id, status=DocumentStatus.REQUESTED)
    now = clock.now()
    entries = []
    for document in documents:
        answer = authority.confirm(
            kind=document.kind, number=document.number, extra=document.extra, id_number=id_number
        )
        document.status = DocumentStatus.INTEGRATED if answer.confirmed else DocumentStatus.REFUSED
        document.reason = None if answer.confirmed else (answer.reason or "not_confirmed")[:60]
        document.decided_at = now
        action = "wallet.document_integrate" if answer.confirmed else "wallet.document_refuse"
        details = _details(document.id, document.kind, document.source)
        if document.reason is not None:
            details["reason"] = document.reason
        entries.append((action, "person", str(person_id), details))
    if entries:
        audit.record_many(session=session, clock=clock, actor=actor, entries=entries)
    return [WalletDocumentRead.model_validate(d) for d in documents]


def holder_arrival(authority: DocumentAuthority) -> HolderArrival:
    """What accounts call when a holder activates or logs in: their requested documents go to the agencies.

    Plugged into accounts by the app factory (``accounts.ports``), so that accounts never import the wallet.
    """

    def arrive(*, session: Session, clock: Clock, account_id: str, person_id: int, id_number: str) -> Arrival:
        documents = confirm_documents(
            session=session,
            clock=clock,
            actor=holder_actor(account_id),
            person_id=person_id,
            id_number=id_number,
            authority=authority,
        )
        integrated = sum(1 for d in documents if d.status is DocumentStatus.INTEGRATED)
        return Arrival(documents_integrated=integrated, documents_refused=len(documents) - integrated)

    return arrive


def list_documents(*, session: Session, clock: Clock, actor: Actor, person_id: int) -> WalletRead:
    """The holder's wallet, every status; the read is audited like any read of a person's record."""
    documents = [WalletDocumentRead.model_validate(d) for d in repository.of_holder(session, person_id)]
    audit.record(
        session=session,
        clock=clock,
        actor=actor,
        action="wallet.read",
        subject_type="person",
        subject_id=str(person_id),
        details={"documents": len(documents)},
    )
    return WalletRead(documents=documents)


def integrated_by_village(*, session: Session, commune_codes: Sequence[str]) -> dict[int, int]:
    """Documents integrated into wallets, by the holder's village, for the campaign's figures."""
    if not commune_codes:
        return {}
    return repository.integrated_by_village(session, commune_codes)


def _checked(document: DocumentIn) -> tuple[DocumentKind, str]:
    try:
        kind = DocumentKind(document.kind)
    except ValueError:
        raise InvalidDocument(f"no wallet section for documents of kind {document.kind!r}", field="kind") from None
    number = document.number.strip()
    if not number or len(number) > NUMBER_MAX:
        raise InvalidDocument(f"a document number has 1 to {NUMBER_MAX} characters", field="number")
    return kind, number


def _details(document_id: str, kind: DocumentKind, source: str) -> dict[str, Any]:
    return {"document_id": document_id, "kind": kind.value, "source": source}
