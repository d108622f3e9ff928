"""The pipeline's stages as job handlers (DESIGN.md decision 2; MOSIP's registration processor).

integrity → registry match → eligibility → biometrics (1:1, then 1:N dedup) → [supervisor] → issue.

Each stage runs for a batch of applications in one transaction with the jobs' completion
(``core/jobs.py``, docs/decisions/0020-set-based-stages.md): it records each outcome on the timeline
(unique per stage, so a stage that ran cannot run again), moves the applications' statuses, and
enqueues the next stage. The registry match hands the person it read to the eligibility rules in
the same transaction. An outcome such as "needs correction" is a result, not an error; only
unexpected failures raise, and are retried (alone, if a batch failed).
"""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Update, bindparam, select, update
from sqlalchemy.orm import Session

from civicid.accounts import service as accounts
from civicid.biometrics.dedup import DedupKind
from civicid.biometrics.ports import Template
from civicid.core import audit, jobs
from civicid.core.audit import Actor
from civicid.core.blobs import BlobStore
from civicid.core.clock import Clock
from civicid.core.crypto import InvalidSeal, SealingKey, unseal
from civicid.core.dialects import per_dialect
from civicid.core.errors import CivicIDError
from civicid.core.jobs import BatchHandler, Handler
from civicid.core.lists import one_of
from civicid.country.age import AgeGroup, age_group, birthday
from civicid.country.names import fold
from civicid.country.sex import Sex
from civicid.devices import service as devices
from civicid.devices.errors import RevokedDevice, UnknownDevice
from civicid.enrollment.approval import ISSUE_STAGE
from civicid.enrollment.biometric_steps import EnrollmentBiometrics
from civicid.enrollment.intake import FIRST_STAGE
from civicid.enrollment.models import Application, ApplicationPart
from civicid.enrollment.timeline import Event, add_events, change_seqs
from civicid.notify import service as notify
from civicid.protocol import packet
from civicid.protocol.codes import ApplicationStatus, Stage, StatusReason
from civicid.protocol.errors import InvalidPacketSignature, InvalidSealedPart, PartHashMismatch
from civicid.protocol.packet import ApplicationType, Envelope, PartKind
from civicid.registry import service as registry
from civicid.registry.errors import PersonNotFound
from civicid.registry.queries import persons
from civicid.registry.schemas import IdCardIn
from civicid.wallet import service as wallet
from civicid.wallet.portraits import PortraitVault
from civicid.wallet.schemas import DocumentIn

PIPELINE = Actor("system", "pipeline")
REGISTRY_MATCH = "enrollment.registry_match"
ELIGIBILITY = "enrollment.eligibility"
BIOMETRICS = "enrollment.biometrics"
STAGES = (FIRST_STAGE, REGISTRY_MATCH, ELIGIBILITY, BIOMETRICS, ISSUE_STAGE)

# The part kinds whose plaintext the server's extractors read, by the extractor's name for them.
CAPTURE_PARTS = {PartKind.FACE_TEMPLATE: "face", PartKind.FINGER_TEMPLATES: "finger"}
REQUIRED_AGE = {
    ApplicationType.LEVEL2: AgeGroup.FROM_14,
    ApplicationType.LEVEL2_CHILD: AgeGroup.FROM_6_TO_13,
    ApplicationType.CHILD_CARD: AgeGroup.UNDER_6,
}
# Why an application is ineligible when its person is not of the age group it needs.
NOT_OF_AGE = {
    AgeGroup.FROM_14: StatusReason.AGE_NOT_14_PLUS,
    AgeGroup.FROM_6_TO_13: StatusReason.AGE_NOT_6_TO_13,
    AgeGroup.UNDER_6: StatusReason.AGE_NOT_UNDER_6,
}
# What the integrity stage refuses a packet for; the status reason is the error's problem code.
INTEGRITY_FAILURES = (InvalidPacketSignature, UnknownDevice, RevokedDevice, PartHashMismatch, InvalidSealedPart)
# Why the 1:N search holds an application back.
DEDUP_REASONS = {
    DedupKind.SUSPECTED_DUPLICATE: StatusReason.SUSPECTED_DUPLICATE,
    DedupKind.DUPLICATE: StatusReason.DUPLICATE,
}


@dataclass
class Pipeline:
    """What the stages need besides the session and clock.

    Every stage is set-based (docs/decisions/0020-set-based-stages.md): it takes the ids of a batch
    of applications and does its work in a few statements per batch, not per application. The
    single-job handlers are the same stages on a batch of one: the worker falls back to them when a
    batch fails, so that one bad application is retried alone.
    """

    blobs: BlobStore
    server_key: SealingKey
    biometrics: EnrollmentBiometrics
    portraits: PortraitVault  # seals the e-ID card's portrait the issue stage hands to the wallet

    def batch_handlers(self) -> Mapping[str, BatchHandler]:
        return {
            FIRST_STAGE: self.integrity,
            REGISTRY_MATCH: self.registry_match,
            ELIGIBILITY: self.eligibility,
            BIOMETRICS: self.deduplication,
            ISSUE_STAGE: self.issue,
        }

    def handlers(self) -> Mapping[str, Handler]:
        return {kind: _one_at_a_time(stage) for kind, stage in self.batch_handlers().items()}

    # Stages -------------------------------------------------------------------------------------

    def integrity(self, session: Session, clock: Clock, application_ids: list[str]) -> None:
        """The device still active, the parts' hashes, unseal, extract.

        The envelope's signature was verified once, at intake, which recorded the hash of what it
        verified; the payload read here must still hash to it (docs/decisions/0023-verify-once.md).
        A device revoked since intake still has its packets refused here.
        """
        out = Outcomes(session, clock)
        applications = _applications(session, application_ids)
        arrived = _arrived_parts(session, application_ids)
        refused = devices.refused_devices(session=session, device_ids={a.device_id for a in applications})
        probes: list[dict[str, object]] = []
        for application in applications:
            try:
                if application.device_id in refused:
                    raise refused[application.device_id]
                content = packet.verified_content(application.envelope_jws, application.envelope_hash)
                captures = self._open_captures(content, arrived.get(application.id, []))
                probes += self.biometrics.probe_rows(application.id, captures)
            except INTEGRITY_FAILURES as exc:
                out.finish(application, Stage.INTEGRITY, ApplicationStatus.REJECTED_INTEGRITY, StatusReason(exc.code))
                continue
            out.advance(application, Stage.INTEGRITY, "verified", REGISTRY_MATCH)
        self.biometrics.insert_probes(session, probes)
        out.write()

    def registry_match(self, session: Session, clock: Clock, application_ids: list[str]) -> None:
        """The ID number exists, and name, date of birth and sex agree; then eligibility, on the same read.

        The person read here is handed straight to the eligibility rules (one read, one audit entry
        per batch) instead of being read again by a job of its own.
        """
        out = Outcomes(session, clock)
        applications = _applications(session, application_ids)
        envelopes = {a.id: _envelope(a) for a in applications}
        id_numbers = [e.id_number for e in envelopes.values()]
        persons = _read_persons(session, clock, Stage.REGISTRY_MATCH, id_numbers=id_numbers)
        by_number = {p.id_number: p for p in persons}
        for application in applications:
            envelope = envelopes[application.id]
            person = by_number.get(envelope.id_number)
            if person is None:
                out.finish(
                    application,
                    Stage.REGISTRY_MATCH,
                    ApplicationStatus.NEEDS_CORRECTION,
                    StatusReason.ID_NUMBER_UNKNOWN,
                )
                continue
            reason = _disagreement(envelope, person.full_name, person.date_of_birth, person.sex)
            if reason is not None:
                out.finish(application, Stage.REGISTRY_MATCH, ApplicationStatus.NEEDS_CORRECTION, reason)
                continue
            application.person_id = person.id
            out.set(application, person_id=person.id)
            out.record(application, Stage.REGISTRY_MATCH, "matched")
            _check_eligibility(out, session, clock, application, envelope, person)
        out.write()

    def eligibility(self, session: Session, clock: Clock, application_ids: list[str]) -> None:
        """Age rules (DOMAIN.md), the guardian for children, and a parent with level 2 for a child's card.

        Runs as a job only for applications matched before the registry match took it over.
        """
        out = Outcomes(session, clock)
        applications = _applications(session, application_ids)
        ids = [a.person_id for a in applications if a.person_id is not None]
        persons = {p.id: p for p in _read_persons(session, clock, Stage.ELIGIBILITY, person_ids=ids)}
        for application in applications:
            assert application.person_id is not None  # noqa: S101 - set by the registry match
            _check_eligibility(out, session, clock, application, _envelope(application), persons[application.person_id])
        out.write()

    def deduplication(self, session: Session, clock: Clock, application_ids: list[str]) -> None:
        """1:1 against the person's own reference when there is one, then 1:N against everyone."""
        out = Outcomes(session, clock)
        applications = _applications(session, application_ids)
        admitted: list[tuple[str, Template]] = []
        for application, screening in zip(applications, self.biometrics.screen(session, applications), strict=True):
            outcome = screening.outcome
            best = outcome.best.score if outcome.best else None
            details: dict[str, Any] = {"reference_score": screening.reference_score, "best_score": best}
            if outcome.fingers_compared:
                # Fusion (biometrics/fusion.py): the fingers of the face candidate the decision rests on.
                details["finger_score"] = outcome.finger_score
                details["fingers_compared"] = outcome.fingers_compared
            out.set(application, best_score=best)
            if outcome.kind is DedupKind.UNIQUE:
                if screening.probe is not None:
                    admitted.append((application.id, screening.probe))
                status, reason, label = ApplicationStatus.AWAITING_APPROVAL, None, "unique"
            else:
                out.set(application, duplicate_of=outcome.best.reference_id if outcome.best else None)
                status = (
                    ApplicationStatus.REJECTED_DUPLICATE
                    if outcome.kind is DedupKind.DUPLICATE
                    else ApplicationStatus.SUSPECTED_DUPLICATE
                )
                reason, label = DEDUP_REASONS[outcome.kind], outcome.kind.value
            out.finish(application, Stage.BIOMETRICS, status, reason, label, details)
        self.biometrics.admit_many(session, clock, admitted)
        out.write()

    def issue(self, session: Session, clock: Clock, application_ids: list[str]) -> None:
        """Issue the level-2 accounts (pending activation) or the children's cards, and queue the SMS.

        The wallet takes each issued account's TK01 documents and the portrait for its e-ID card.
        """
        out = Outcomes(session, clock)
        applications = _applications(session, application_ids)
        envelopes = {a.id: _envelope(a) for a in applications}
        adults = [a for a in applications if envelopes[a.id].application_type is not ApplicationType.CHILD_CARD]
        refused = _issue_accounts(session, clock, adults, envelopes)
        arrived = _arrived_parts(session, [a.id for a in adults])
        sms: list[notify.SmsRequest] = []
        handovers: list[wallet.Handover] = []
        for application in applications:
            envelope = envelopes[application.id]
            assert application.person_id is not None  # noqa: S101 - set by the registry match
            if application.id in refused:
                out.finish(
                    application, Stage.ISSUE, ApplicationStatus.NEEDS_CORRECTION, StatusReason.PHONE_NUMBER_TAKEN
                )
                continue
            template = "application_approved"
            if envelope.application_type is ApplicationType.CHILD_CARD:
                _issue_card(session, clock, application.person_id, envelope)
                template = "child_card_approved"
            if envelope.phone:
                sms.append(
                    notify.SmsRequest(
                        envelope.phone,
                        template,
                        "application",
                        application.id,
                        f"{template}:{application.id}",
                        commune_code=application.commune_code,
                    )
                )
            details = {
                "sms": bool(envelope.phone),
                # Handed over to the holder's wallet below, confirmed by their agencies at activation.
                "documents_requested": [d.kind.value for d in envelope.documents],
            }
            out.finish(application, Stage.ISSUE, ApplicationStatus.ISSUED, None, "issued", details)
            if envelope.application_type is not ApplicationType.CHILD_CARD:
                portrait = self._portrait(envelope, arrived.get(application.id, []))
                handovers.append(_wallet_handover(application.person_id, application.id, envelope, portrait))
        notify.queue_sms_many(session=session, clock=clock, messages=sms)
        wallet.hand_over_documents(
            session=session, clock=clock, actor=PIPELINE, handovers=handovers, portraits=self.portraits
        )
        out.write()

    # Helpers ------------------------------------------------------------------------------------

    def _portrait(self, envelope: Envelope, parts: list[tuple[str, str, str]]) -> bytes | None:
        """The application's compressed portrait, opened; None when it has not arrived or does not open."""
        found = next(((name, blob) for name, kind, blob in parts if kind == PartKind.PORTRAIT), None)
        if found is None:
            return None
        name, blob = found
        try:
            return packet.unseal_part(envelope, name, self.blobs.get(blob), server_key=self.server_key)
        except CivicIDError:
            return None

    def _open_captures(self, content: dict[str, Any], parts: list[tuple[str, str, str]]) -> dict[str, bytes]:
        """Every part that has arrived must open; the capture parts' plaintexts go to the extractors.

        ``content`` is the verified envelope's JSON (:func:`packet.verified_content`). Parts of a
        later priority may still be on the kit; their hash is signed in the manifest and checked
        when they are assembled, so the pipeline does not wait for them.
        """
        captures: dict[str, bytes] = {}
        capture = packet.capture_hash_of(content)  # once per envelope, not once per part
        manifest = {ref["name"]: ref for ref in content["manifest"]}
        portrait: bytes | None = None
        for name, kind_name, blob in parts:
            plain = _unseal_part(manifest.get(name), capture, name, self.blobs.get(blob), self.server_key)
            kind = PartKind(kind_name)
            if kind in CAPTURE_PARTS:
                captures[CAPTURE_PARTS[kind]] = plain
            elif kind is PartKind.PORTRAIT:
                portrait = plain
        if captures.get("face") == packet.FACE_IN_PORTRAIT and portrait is not None:
            captures["face"] = portrait  # a real kit's face is its portrait, sent once (decision 0061)
        return captures


@dataclass(slots=True)
class Case:
    """What the stages read of an application: one Core row, not an ORM object.

    The stages write their changes back through :class:`Outcomes` in one executemany UPDATE per
    batch; an ORM object per application cost a flush (one UPDATE each) on every stage, twice in
    some.
    """

    id: str
    application_type: str
    device_id: str
    envelope_jws: str
    envelope_hash: str
    person_id: int | None
    commune_code: str


class Outcomes:
    """A batch's outcomes, kept in order and written set-based at the end of the stage.

    One counter update numbers every status change, one executemany UPDATE per set of changed
    columns writes the applications, one INSERT the timeline events, one INSERT per next stage
    enqueues the jobs.
    """

    def __init__(self, session: Session, clock: Clock) -> None:
        self.session = session
        self.clock = clock
        self.events: list[Event] = []
        self.changes: dict[str, dict[str, Any]] = {}
        self.renumbered: list[str] = []
        self.next: dict[str, list[str]] = {}

    def set(self, case: Case, **values: Any) -> None:
        """Columns of the application to write with the batch (``person_id``, ``best_score``…)."""
        self.changes.setdefault(case.id, {}).update(values)

    def record(self, case: Case, stage: Stage, outcome: str, details: dict[str, Any] | None = None) -> None:
        self.events.append(Event(case.id, stage, outcome, str(PIPELINE), details=details or {}))

    def advance(self, case: Case, stage: Stage, outcome: str, next_stage: str) -> None:
        self.record(case, stage, outcome)
        self.next.setdefault(next_stage, []).append(case.id)

    def finish(
        self,
        case: Case,
        stage: Stage,
        status: ApplicationStatus,
        reason: StatusReason | None,
        outcome: str | None = None,
        details: dict[str, Any] | None = None,
    ) -> None:
        """A new status: numbered for the kits' down-sync when the batch is written."""
        self.set(case, status=status, status_reason=reason)
        self.renumbered.append(case.id)
        self.events.append(
            Event(case.id, stage, outcome or status.value, str(PIPELINE), reason=reason, details=details or {})
        )

    def write(self) -> None:
        for application_id, change_seq in zip(
            self.renumbered, change_seqs(self.session, len(self.renumbered)), strict=True
        ):
            self.changes[application_id]["change_seq"] = change_seq
        _update_applications(self.session, self.changes)
        add_events(self.session, self.clock, self.events)
        for kind, ids in self.next.items():
            jobs.enqueue_many(session=self.session, clock=self.clock, kind=kind, subject_ids=ids)


def _update_applications(session: Session, changes: dict[str, dict[str, Any]]) -> None:
    """One executemany UPDATE per set of changed columns (a stage has one or two such sets)."""
    by_columns: dict[tuple[str, ...], list[dict[str, Any]]] = {}
    for application_id, values in changes.items():
        columns = tuple(sorted(values))
        by_columns.setdefault(columns, []).append({"b_id": application_id, **{f"b_{c}": values[c] for c in columns}})
    connection = session.connection()
    for columns, rows in by_columns.items():
        connection.execute(_application_update(columns), rows)


@functools.cache
def _application_update(columns: tuple[str, ...]) -> Update:
    """``UPDATE application SET <columns> WHERE id = :b_id``, built once per set of columns."""
    return (
        update(Application)
        .where(Application.id == bindparam("b_id"))
        .values({column: bindparam(f"b_{column}") for column in columns})
    )


@dataclass(frozen=True)
class PersonFacts:
    """What the pipeline needs of a registry record: no more personal data than the checks use."""

    id: int
    id_number: str
    full_name: str
    date_of_birth: dt.date
    sex: str


def _read_persons(
    session: Session,
    clock: Clock,
    stage: Stage,
    *,
    id_numbers: list[str] | None = None,
    person_ids: list[int] | None = None,
) -> list[PersonFacts]:
    """Read a batch's registry records in one query, audited by one entry that lists their ids."""
    connection = session.connection()
    query = (_PERSONS_BY_ID if id_numbers is None else _PERSONS_BY_NUMBER)[connection.dialect.name]
    keys = list(set(person_ids or [])) if id_numbers is None else list(set(id_numbers))
    rows = connection.execute(query, {"keys": keys})
    persons = [PersonFacts(i, n, name, born, Sex(sex).value) for i, n, name, born, sex in rows]
    if persons:
        audit.record(
            session=session,
            clock=clock,
            actor=PIPELINE,
            action="person.read",
            subject_type="person_batch",
            subject_id="-",
            details={"stage": stage, "persons": sorted(p.id for p in persons)},
        )
    return persons


def _check_eligibility(
    out: Outcomes, session: Session, clock: Clock, application: Case, envelope: Envelope, person: PersonFacts
) -> None:
    kind = ApplicationType(application.application_type)
    reason = None
    if age_group(person.date_of_birth, clock.today()) != REQUIRED_AGE[kind]:
        reason = NOT_OF_AGE[REQUIRED_AGE[kind]]
    elif kind is not ApplicationType.LEVEL2:
        reason = _guardian_problem(session, clock, envelope, person.id, needs_level2=kind is ApplicationType.CHILD_CARD)
    if reason is not None:
        out.finish(application, Stage.ELIGIBILITY, ApplicationStatus.INELIGIBLE, reason)
    elif kind is ApplicationType.CHILD_CARD:
        # No biometrics for a child under 6: straight to the supervisor.
        out.finish(application, Stage.ELIGIBILITY, ApplicationStatus.AWAITING_APPROVAL, None, "eligible")
    else:
        out.advance(application, Stage.ELIGIBILITY, "eligible", BIOMETRICS)


def _issue_accounts(
    session: Session, clock: Clock, applications: list[Case], envelopes: dict[str, Envelope]
) -> set[str]:
    """Issue the level-2 accounts of a batch; the ids of the applications whose phone was taken."""
    requests = [
        accounts.AccountRequest(
            person_id=a.person_id or 0,
            id_number=envelopes[a.id].id_number,
            phone=envelopes[a.id].phone,
            level=2,
            source=f"application:{a.id}",
        )
        for a in applications
    ]
    results = accounts.issue_accounts(session=session, clock=clock, actor=PIPELINE, requests=requests)
    return {a.id for a, result in zip(applications, results, strict=True) if result is None}


def _wallet_handover(
    person_id: int, application_id: str, envelope: Envelope, portrait: bytes | None
) -> wallet.Handover:
    """Form TK01's documents, as the wallet takes them (requested until the holder activates), and the portrait."""
    documents = [DocumentIn(kind=d.kind.value, number=d.number, extra=d.extra) for d in envelope.documents]
    return wallet.Handover(
        person_id=person_id, source=f"application:{application_id}", documents=documents, portrait=portrait
    )


def _issue_card(session: Session, clock: Clock, person_id: int, envelope: Envelope) -> None:
    registry.issue_id_card(
        session=session,
        clock=clock,
        actor=PIPELINE,
        person_id=person_id,
        card_in=IdCardIn(issue_date=clock.today(), expiry_date=birthday(envelope.date_of_birth, 14)),
    )


def _unseal_part(ref: dict[str, Any] | None, capture: str, name: str, sealed: bytes, server_key: SealingKey) -> bytes:
    """:func:`packet.unseal_part` on the manifest entry ``ref``, with the capture hash computed by the caller.

    Canonicalising the envelope for every part was a tenth of the pipeline's time.
    """
    if ref is None or len(sealed) != ref["size"] or hashlib.sha256(sealed).hexdigest() != ref["sha256"]:
        raise PartHashMismatch(f"part {name} does not match the manifest's size and SHA-256", part=name)
    try:
        return unseal(sealed, recipient_key=server_key, aad=f"{capture}:{name}".encode("ascii"))
    except InvalidSeal as exc:
        raise InvalidSealedPart(
            f"part {name} does not open with the server's key for this envelope", part=name
        ) from exc


def _one_at_a_time(stage: BatchHandler) -> Handler:
    def handler(session: Session, clock: Clock, application_id: str) -> None:
        stage(session, clock, [application_id])

    return handler


# Built once per dialect: a batch's ids are one array parameter on PostgreSQL (core/lists.py).
_CASES = per_dialect(
    lambda dialect: select(
        Application.id,
        Application.application_type,
        Application.device_id,
        Application.envelope_jws,
        Application.envelope_hash,
        Application.person_id,
        Application.commune_code,
    ).where(one_of(Application.id, "ids", dialect))
)
_ARRIVED_PARTS = per_dialect(
    lambda dialect: select(
        ApplicationPart.application_id, ApplicationPart.name, ApplicationPart.kind, ApplicationPart.blob
    ).where(one_of(ApplicationPart.application_id, "ids", dialect), ApplicationPart.blob.is_not(None))
)
_PERSON_FACTS = select(persons.c.id, persons.c.id_number, persons.c.full_name, persons.c.date_of_birth, persons.c.sex)
_PERSONS_BY_NUMBER = per_dialect(lambda dialect: _PERSON_FACTS.where(one_of(persons.c.id_number, "keys", dialect)))
_PERSONS_BY_ID = per_dialect(lambda dialect: _PERSON_FACTS.where(one_of(persons.c.id, "keys", dialect)))


def _applications(session: Session, application_ids: list[str]) -> list[Case]:
    """The batch's applications in the order given (one query)."""
    connection = session.connection()
    found = {
        row.id: Case(*row) for row in connection.execute(_CASES[connection.dialect.name], {"ids": application_ids})
    }
    missing = [i for i in application_ids if i not in found]
    if missing:
        raise LookupError(f"no application {missing[0]}")
    return [found[i] for i in application_ids]


def _arrived_parts(session: Session, application_ids: list[str]) -> dict[str, list[tuple[str, str, str]]]:
    """(name, kind, blob) of every assembled part of the batch's applications, by application."""
    connection = session.connection()
    arrived: dict[str, list[tuple[str, str, str]]] = {}
    for application_id, name, kind, blob in connection.execute(
        _ARRIVED_PARTS[connection.dialect.name], {"ids": application_ids}
    ):
        arrived.setdefault(application_id, []).append((name, kind, blob or ""))
    return arrived


def _envelope(application: Case) -> Envelope:
    return packet.stored_envelope(application.envelope_jws)


def _disagreement(envelope: Envelope, full_name: str, date_of_birth: dt.date, sex: str) -> StatusReason | None:
    if fold(envelope.full_name) != fold(full_name):
        return StatusReason.FULL_NAME_MISMATCH
    if envelope.date_of_birth != date_of_birth:
        return StatusReason.DATE_OF_BIRTH_MISMATCH
    if envelope.sex.value != sex:
        return StatusReason.SEX_MISMATCH
    return None


def _guardian_problem(
    session: Session, clock: Clock, envelope: Envelope, child_id: int, *, needs_level2: bool
) -> StatusReason | None:
    if envelope.guardian_id_number is None:
        return StatusReason.GUARDIAN_MISSING
    try:
        guardian = registry.get_person_by_id_number(
            session=session, clock=clock, actor=PIPELINE, id_number=envelope.guardian_id_number
        )
    except PersonNotFound:
        return StatusReason.GUARDIAN_UNKNOWN
    if guardian.id not in registry.guardians_of(session=session, child_id=child_id):
        return StatusReason.GUARDIAN_NOT_LINKED
    if needs_level2:
        account = accounts.find_account_by_person(session=session, person_id=guardian.id)
        if account is None or account.level < 2:
            return StatusReason.GUARDIAN_WITHOUT_LEVEL2
    return None
