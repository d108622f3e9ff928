"""The wallet's service functions: the only way other capabilities reach wallet documents.

Documents are integrated by reference (DOMAIN.md): the holder names a document's key fields, on
form TK01 at enrollment or in the app, and the owning agency confirms them
(docs/decisions/0037-documents-by-reference.md). An issued application hands its documents over as
``requested``, with the enrollment portrait for the e-ID card; the agencies are asked when the
holder activates the account and at each login (``checks.ask``); the holder adds documents in the
app, opens the wallet (answers older than a day are asked again) and opens a document with the
passcode. Every hand-over, answer and read is audited with ids and kinds only, never a number.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session

from civicid.accounts import service as accounts
from civicid.accounts.activation import holder_actor
from civicid.accounts.hashing import PRODUCTION, SecretHasher
from civicid.accounts.passcode import verify_passcode
from civicid.accounts.ports import Arrival, HolderArrival
from civicid.agencies.errors import AgencyUnavailable, InvalidKeyFields
from civicid.agencies.kinds import SPECS, DocumentQuery, KeyField, normalise
from civicid.agencies.ports import AgencyRegistry, Confirmed
from civicid.core import audit
from civicid.core.audit import Actor
from civicid.core.clock import Clock
from civicid.core.ids import new_id
from civicid.wallet import checks, repository
from civicid.wallet.checks import ASKED, Outcome
from civicid.wallet.errors import DocumentAlreadyInWallet, DocumentNotConfirmed, InvalidDocument, WalletDocumentNotFound
from civicid.wallet.models import DocumentKind, DocumentStatus, WalletDocument
from civicid.wallet.portraits import PortraitHandover, PortraitVault, store_portraits
from civicid.wallet.schemas import (
    AgencyRead,
    DocumentAdd,
    DocumentIn,
    DocumentKindRead,
    KeyFieldRead,
    WalletDocumentDetail,
    WalletDocumentSummary,
    WalletKindsRead,
    WalletRead,
)

NUMBER_MAX = 64
#: The source of a document the holder added in the app (form TK01's are "application:<id>").
HOLDER_SOURCE = "holder"


@dataclass(frozen=True)
class Handover:
    """One issued application's documents and portrait for its holder; ``source`` names it ("application:<id>")."""

    person_id: int
    source: str
    documents: Sequence[DocumentIn]
    portrait: bytes | None = None  # the compressed portrait captured at enrollment, as the kit sent it


def hand_over_documents(
    *,
    session: Session,
    clock: Clock,
    actor: Actor,
    handovers: Sequence[Handover],
    portraits: PortraitVault | None = None,
) -> int:
    """Put a batch's documents in their holders' wallets as ``requested``; returns how many were new.

    Set-based: one read of the holders' documents, one INSERT, one audit append for the lot. A
    document the holder already has (same kind and number) is left as it is, so running the issue
    stage twice, or a second application listing the same licence, hands nothing over twice. The
    portraits (sealed with ``portraits``) replace the holders' earlier ones.
    """
    known = repository.existing_keys(session, [h.person_id for h in handovers])
    now = clock.now()
    rows: list[dict[str, Any]] = []
    for handover in handovers:
        for document in handover.documents:
            kind, number, fields = _checked(document)
            if (handover.person_id, kind.value, number) in known:
                continue
            known.add((handover.person_id, kind.value, number))
            rows.append(
                {
                    "id": new_id(),
                    "person_id": handover.person_id,
                    "kind": kind,
                    "number": number,
                    "extra": fields or None,
                    "status": DocumentStatus.REQUESTED,
                    "reason": None,
                    "source": handover.source,
                    "requested_at": now,
                }
            )
    entries = [
        ("wallet.document_request", "person", str(r["person_id"]), _details(r["id"], r["kind"], r["source"]))
        for r in rows
    ]
    if rows:
        repository.insert_new(session, rows)
    entries += _hand_over_portraits(session, clock, handovers, portraits)
    audit.record_many(session=session, clock=clock, actor=actor, entries=entries)
    return len(rows)


def holder_arrival(agencies: AgencyRegistry) -> HolderArrival:
    """What accounts call when a holder activates or logs in: their requested and pending documents go to
    the agencies. Plugged into accounts by the app factory (``accounts.ports``): accounts never import the wallet.
    """

    def arrive(*, session: Session, clock: Clock, account_id: str, person_id: int, id_number: str) -> Arrival:
        actor = holder_actor(account_id)
        outcomes = [
            checks.ask(session=session, clock=clock, actor=actor, agencies=agencies, document=d, id_number=id_number)
            for d in repository.of_holder(session, person_id, statuses=ASKED)
        ]
        return Arrival(
            documents_integrated=outcomes.count(Outcome.INTEGRATED),
            documents_refused=outcomes.count(Outcome.REFUSED),
            documents_pending=outcomes.count(Outcome.PENDING),
        )

    return arrive


def open_wallet(
    *, session: Session, clock: Clock, agencies: AgencyRegistry, account_id: str, person_id: int
) -> WalletRead:
    """The holder opens the wallet: documents still waiting, and answers older than a day, are asked again."""
    id_number = accounts.get_account(session=session, account_id=account_id).id_number
    actor, now = holder_actor(account_id), clock.now()
    documents = repository.of_holder(session, person_id)
    for document in documents:
        if document.status in ASKED or checks.is_stale(document, now):
            checks.ask(
                session=session, clock=clock, actor=actor, agencies=agencies, document=document, id_number=id_number
            )
    return _listed(session, clock, actor, person_id, documents)


def list_documents(*, session: Session, clock: Clock, actor: Actor, person_id: int) -> WalletRead:
    """The holder's wallet as it stands, every status; the read is audited like any read of a person's record."""
    return _listed(session, clock, actor, person_id, repository.of_holder(session, person_id))


def add_document(
    *,
    session: Session,
    clock: Clock,
    agencies: AgencyRegistry,
    account_id: str,
    person_id: int,
    document_in: DocumentAdd,
    actor: Actor | None = None,
) -> WalletDocumentSummary:
    """The holder adds a document by its key fields: integrated, or ``pending`` while its agency is down.

    ``actor`` is who does it when it is not the holder: a parent adding their child's card (the
    agency is asked about the child's ID number, and the audit names the parent).

    A document the agency does not confirm is not kept: :class:`DocumentNotConfirmed`, the same
    answer whether it does not exist, is someone else's, or a key field does not match. The refusal
    is audited (kind only), so the caller commits before raising it. A document the wallet holds
    already is a conflict, unless it was refused: then it is asked about again with the new fields.
    """
    kind = _kind(document_in.kind)
    if kind not in agencies.agencies():
        raise InvalidDocument(f"no agency is connected for {kind.value} yet", field="kind")
    number, fields = normalise(kind, document_in.number, document_in.fields)
    account = accounts.get_account(session=session, account_id=account_id)
    actor = actor or holder_actor(account_id)
    existing = repository.find(session, person_id, kind, number)
    if existing is not None and existing.status is not DocumentStatus.REFUSED:
        raise DocumentAlreadyInWallet("the wallet holds this document already")
    try:
        answer = agencies.confirm(
            session=session, clock=clock, query=DocumentQuery(kind, number, fields, account.id_number)
        )
    except AgencyUnavailable:
        answer = None
    if answer is not None and not isinstance(answer, Confirmed):
        audit.record(
            session=session,
            clock=clock,
            actor=actor,
            action="wallet.document_refuse",
            subject_type="person",
            subject_id=str(person_id),
            details={"kind": kind.value, "source": HOLDER_SOURCE, "reason": answer.reason},
        )
        raise DocumentNotConfirmed("the agency did not confirm a document with these key fields for this ID number")
    document = existing or _new_document(session, clock, person_id, kind, number)
    document.extra, document.source = fields, HOLDER_SOURCE
    if answer is None:
        checks.mark_pending(session, clock, actor, document)
    else:
        checks.keep_answer(session, clock, actor, document, answer)
    return checks.summary(document, clock.today())


def open_document(
    *,
    session: Session,
    clock: Clock,
    account_id: str,
    person_id: int,
    document_id: str,
    passcode: str,
    hasher: SecretHasher = PRODUCTION,
) -> WalletDocumentDetail:
    """A document's full details, once the passcode is right (``accounts.passcode``: attempt-limited).

    A wrong passcode is counted and audited by ``verify_passcode`` before it is raised: the caller
    commits, then raises (``accounts.errors.RECORDED_REFUSALS``).
    """
    verify_passcode(
        session=session, clock=clock, account_id=account_id, passcode=passcode, action="open_document", hasher=hasher
    )
    document = repository.get(session, document_id)
    if document is None or document.person_id != person_id:
        raise WalletDocumentNotFound("no such document in this wallet")
    checks.audit_document(session, clock, holder_actor(account_id), "wallet.document_open", document)
    return checks.detail(document, clock.today())


def document_standing(*, session: Session, clock: Clock, document_id: str) -> tuple[int, WalletDocumentSummary] | None:
    """(holder, summary) of a document, not audited and without its number: what the credentials that attest
    it need to follow it (revoked, expired, refused). None for a document that is gone."""
    document = repository.get(session, document_id)
    return None if document is None else (document.person_id, checks.summary(document, clock.today()))


def document_kinds(agencies: AgencyRegistry) -> WalletKindsRead:
    """The kinds a holder can add (those an agency answers for), and the key fields each needs."""
    kinds = []
    for kind, agency in agencies.agencies().items():
        spec = SPECS.get(kind)
        if spec is None:
            continue
        kinds.append(
            DocumentKindRead(
                kind=kind,
                vi=spec.vi,
                en=spec.en,
                agency=AgencyRead(vi=agency.vi, en=agency.en, simulated=agency.simulated),
                number=_field_read(spec.number),
                fields=[_field_read(f) for f in spec.fields],
            )
        )
    return WalletKindsRead(kinds=kinds)


def integrated_by_village(*, session: Session, commune_codes: Sequence[str]) -> dict[int, int]:
    """Documents integrated into wallets, by the holder's village, for the campaign's figures."""
    if not commune_codes:
        return {}
    return repository.integrated_by_village(session, commune_codes)


def _listed(
    session: Session, clock: Clock, actor: Actor, person_id: int, documents: Sequence[WalletDocument]
) -> WalletRead:
    audit.record(
        session=session,
        clock=clock,
        actor=actor,
        action="wallet.read",
        subject_type="person",
        subject_id=str(person_id),
        details={"documents": len(documents)},
    )
    today = clock.today()
    return WalletRead(documents=[checks.summary(d, today) for d in documents])


def _hand_over_portraits(
    session: Session, clock: Clock, handovers: Sequence[Handover], vault: PortraitVault | None
) -> list[tuple[str, str, str, dict[str, Any]]]:
    given = [PortraitHandover(h.person_id, h.source, h.portrait) for h in handovers if h.portrait is not None]
    if not given:
        return []
    if vault is None:
        raise ValueError("portraits are handed over without the vault that seals them")
    kept = store_portraits(session=session, vault=vault, handovers=given, now=clock.now())
    return [("wallet.portrait_store", "person", str(p), {"source": s}) for p, s in kept]


def _new_document(session: Session, clock: Clock, person_id: int, kind: DocumentKind, number: str) -> WalletDocument:
    document = WalletDocument(
        id=new_id(),
        person_id=person_id,
        kind=kind,
        number=number,
        status=DocumentStatus.REQUESTED,
        source=HOLDER_SOURCE,
        requested_at=clock.now(),
    )
    session.add(document)
    return document


def _kind(value: str) -> DocumentKind:
    try:
        return DocumentKind(value)
    except ValueError:
        raise InvalidDocument(f"no wallet section for documents of kind {value[:40]!r}", field="kind") from None


def _checked(document: DocumentIn) -> tuple[DocumentKind, str, dict[str, str] | None]:
    """A TK01 document's kind, and its number and key fields normalised when they are in the agency's format.

    A document whose fields are not is kept as written: the agency question refuses it with a reason.
    """
    kind = _kind(document.kind)
    number = document.number.strip()
    if not number or len(number) > NUMBER_MAX:
        raise InvalidDocument(f"a document number has 1 to {NUMBER_MAX} characters", field="number")
    try:
        return (kind, *normalise(kind, number, document.extra))
    except InvalidKeyFields:
        return kind, number, document.extra


def _details(document_id: str, kind: DocumentKind, source: str) -> dict[str, Any]:
    return {"document_id": document_id, "kind": kind.value, "source": source}


def _field_read(field: KeyField) -> KeyFieldRead:
    return KeyFieldRead(name=field.name, vi=field.vi, en=field.en, example=field.example, pattern=field.pattern.pattern)
