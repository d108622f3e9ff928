"""Signing's service: activating a citizen's signature, following their account, signing and verifying PDFs.

- Activation (:func:`request_activation_code`, :func:`activate`): an active level-2 account, the
  passcode and an SMS code (``signature_activation``); the key is made in the :class:`KeyVault`
  and the citizen CA certifies it in the person's name and ID number. A level-1 account is refused,
  and the refusal is audited like every step.
- Following the account (:func:`follow_account`, the ``accounts.status_changed`` job): a lock
  suspends the certificate (a ``certificateHold`` on the CRL); unlocking lifts the hold; a lock for a
  lost phone revokes it (``keyCompromise``), as does the holder's request (:func:`revoke`); the
  private key of a revoked certificate is destroyed.
- Signing (:func:`sign_document`) needs the passcode each time and records the document's hash in
  the history, never the document. Verifying (:func:`verify_document`) checks against fresh CRLs and
  OCSP answers, so a certificate revoked after signing is reported revoked.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.x509.oid import NameOID
from pydantic import BaseModel, ConfigDict
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from civicid.accounts import codes, locks
from civicid.accounts import service as accounts
from civicid.accounts.activation import holder_actor
from civicid.accounts.errors import InvalidCode
from civicid.accounts.hashing import PRODUCTION, SecretHasher
from civicid.accounts.holder import LOST_PHONE
from civicid.accounts.passcode import verify_passcode
from civicid.accounts.schemas import AccountRead
from civicid.accounts.statuses import AccountStatus, CodePurpose, LockGround
from civicid.core import audit
from civicid.core.audit import Actor
from civicid.core.clock import Clock
from civicid.core.ids import new_id
from civicid.registry import service as registry
from civicid.registry.queries import persons, village_ids_in
from civicid.signing import pdf, profiles
from civicid.signing.ca import Pki
from civicid.signing.errors import (
    CertificateNotFound,
    SignatureAlreadyActive,
    SignatureNotActive,
    SignatureNotAllowed,
)
from civicid.signing.models import (
    CaRole,
    CertificateStatus,
    RevocationReason,
    SigningCertificate,
    SigningEvent,
    SigningRevocation,
)
from civicid.signing.ports import KeyVault
from civicid.signing.tsa import InProcessTimeStamper, TimeStampingUnit

#: The level a digital signature needs (Decree 69/2024: level-2 e-ID).
SIGNATURE_LEVEL = 2
HISTORY_LIMIT = 100


@dataclass(frozen=True)
class Signing:
    """The signing capability's runtime: the CA (keystore, public address) and the citizens' key vault."""

    pki: Pki
    vault: KeyVault


class CertificateView(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: str
    serial: str
    status: CertificateStatus
    vault: str
    subject: str
    #: The subject's CN and serialNumber (``IDCVN-`` + ID number), for people to read.
    subject_name: str
    subject_id: str
    not_before: dt.datetime
    not_after: dt.datetime
    created_at: dt.datetime
    changed_at: dt.datetime


class SigningEventView(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: str
    certificate_id: str
    document_sha256: str
    signed_sha256: str
    level: str
    channel: str
    signed_at: dt.datetime


# Activation -----------------------------------------------------------------------------------------


def request_activation_code(
    *, session: Session, clock: Clock, account_id: str, hasher: SecretHasher = PRODUCTION
) -> bool:
    """Send the SMS code that activation asks for; refused (and audited) for an account that may not sign."""
    account = _eligible(session, clock, account_id, "signing.activation_code_request")
    sent = codes.send_account_code(
        session=session, clock=clock, account_id=account.id, purpose=CodePurpose.SIGNATURE_ACTIVATION, hasher=hasher
    )
    _audit(session, clock, account, "signing.activation_code_request", {"sent": sent})
    return sent


def activate(
    *, session: Session, clock: Clock, signing: Signing, account_id: str, passcode: str, code: str,
    hasher: SecretHasher = PRODUCTION,
) -> CertificateView:  # fmt: skip
    """Make the holder's signing key in the vault and certify it, after the passcode and the SMS code.

    A wrong passcode or code is counted and audited before the refusal (the edge commits, then raises).
    """
    account = _eligible(session, clock, account_id, "signing.activate")
    verify_passcode(
        session=session, clock=clock, account_id=account.id, passcode=passcode, action="signature_activation",
        hasher=hasher,
    )  # fmt: skip
    try:
        codes.check_account_code(
            session=session, clock=clock, account_id=account.id, purpose=CodePurpose.SIGNATURE_ACTIVATION,
            code=code, hasher=hasher,
        )  # fmt: skip
    except InvalidCode:
        _audit(session, clock, account, "signing.activate_refuse", {"why": "code"})
        raise
    person = registry.get_person(
        session=session, clock=clock, actor=holder_actor(account.id), person_id=account.person_id
    )
    hierarchy = signing.pki.hierarchy(session=session, clock=clock)
    certificate_id = new_id()
    keys = signing.vault.generate(certificate_id)
    certificate = profiles.signature_certificate(
        key=keys.public_key(), full_name=person.full_name, id_number=person.id_number, ca=hierarchy.citizen_ca,
        ca_key=hierarchy.citizen_key, links=signing.pki.links, now=clock.now(),
    )  # fmt: skip
    now = clock.now()
    row = SigningCertificate(
        id=certificate_id, account_id=account.id, person_id=account.person_id,
        serial=format(certificate.serial_number, "x"), status=CertificateStatus.ACTIVE, vault=signing.vault.name,
        key_ref=keys.key_ref, certificate=certificate.public_bytes(serialization.Encoding.DER),
        not_before=certificate.not_valid_before_utc, not_after=certificate.not_valid_after_utc,
        created_at=now, changed_at=now,
    )  # fmt: skip
    session.add(row)
    session.flush()
    _audit(session, clock, account, "signing.activate", {"certificate_id": row.id, "vault": row.vault})
    return _view(row)


def _eligible(session: Session, clock: Clock, account_id: str, action: str) -> AccountRead:
    account = accounts.get_account(session=session, account_id=account_id)
    if account.level < SIGNATURE_LEVEL or account.status is not AccountStatus.ACTIVE:
        why = "level" if account.level < SIGNATURE_LEVEL else "status"
        _audit(session, clock, account, f"{action}_refuse", {"why": why})
        raise SignatureNotAllowed("a digital signature needs an active level-2 account")
    if _current(session, account.id) is not None:
        raise SignatureAlreadyActive("this account holds a signing certificate already; revoke it first")
    return account


# Status, revocation, suspension ----------------------------------------------------------------------


def certificate_of(*, session: Session, account_id: str) -> CertificateView | None:
    """The holder's certificate that is not revoked (active or suspended), if any."""
    row = _current(session, account_id)
    return None if row is None else _view(row)


def certificate_pem(*, session: Session, account_id: str) -> str:
    row = _current(session, account_id)
    if row is None:
        raise CertificateNotFound("no signing certificate")
    return x509.load_der_x509_certificate(row.certificate).public_bytes(serialization.Encoding.PEM).decode("ascii")


def revoke(
    *, session: Session, clock: Clock, signing: Signing, account_id: str, actor: Actor,
    reason: RevocationReason = RevocationReason.CESSATION_OF_OPERATION,
) -> CertificateView:  # fmt: skip
    """Revoke the holder's certificate for good and destroy its key (the holder asked, or lost the phone)."""
    row = _current(session, account_id)
    if row is None:
        raise SignatureNotActive("no signing certificate to revoke")
    _revoke(session, clock, signing, row, reason, actor)
    return _view(row)


def follow_account(*, session: Session, clock: Clock, signing: Signing, person_id: int) -> None:
    """Bring the person's certificate in line with their account: a lock suspends it, a lost phone or a
    death revokes it, unlocking resumes it (the ``accounts.status_changed`` job)."""
    account = accounts.find_account_by_person(session=session, person_id=person_id)
    if account is None:
        return
    row = _current(session, account.id)
    if row is None:
        return
    active = [lock for lock in locks.locks_of(session=session, account_id=account.id) if lock.active]
    now = clock.now()
    if any(lock.reason == LOST_PHONE for lock in active):
        _revoke(session, clock, signing, row, RevocationReason.KEY_COMPROMISE, audit.SYSTEM)
    elif any(lock.ground is LockGround.DEATH for lock in active):
        _revoke(session, clock, signing, row, RevocationReason.CESSATION_OF_OPERATION, audit.SYSTEM)
    elif active and row.status is CertificateStatus.ACTIVE:
        row.status, row.changed_at = CertificateStatus.SUSPENDED, now
        session.add(_revocation(row, RevocationReason.CERTIFICATE_HOLD, now))
        _audit_row(session, clock, audit.SYSTEM, "signing.suspend", row, {})
    elif not active and row.status is CertificateStatus.SUSPENDED:
        for hold in _holds(session, row.id):
            hold.lifted_at = now  # RFC 5280 §5.3.1: a hold leaves the CRL when it is lifted
        row.status, row.changed_at = CertificateStatus.ACTIVE, now
        _audit_row(session, clock, audit.SYSTEM, "signing.resume", row, {})


def _revoke(
    session: Session, clock: Clock, signing: Signing, row: SigningCertificate, reason: RevocationReason, actor: Actor
) -> None:
    now = clock.now()
    for hold in _holds(session, row.id):
        hold.lifted_at = now
    row.status, row.changed_at = CertificateStatus.REVOKED, now
    session.add(_revocation(row, reason, now))
    signing.vault.destroy(row.key_ref)
    _audit_row(session, clock, actor, "signing.revoke", row, {"reason": reason.value})


def _revocation(row: SigningCertificate, reason: RevocationReason, now: dt.datetime) -> SigningRevocation:
    return SigningRevocation(id=new_id(), certificate_id=row.id, serial=row.serial, reason=reason, revoked_at=now)


def _holds(session: Session, certificate_id: str) -> Sequence[SigningRevocation]:
    return session.scalars(
        select(SigningRevocation).where(
            SigningRevocation.certificate_id == certificate_id,
            SigningRevocation.reason == RevocationReason.CERTIFICATE_HOLD,
            SigningRevocation.lifted_at.is_(None),
        )
    ).all()


# Signing and verifying --------------------------------------------------------------------------------


def sign_document(
    *, session: Session, clock: Clock, signing: Signing, account_id: str, document: bytes, passcode: str,
    channel: str = "app", hasher: SecretHasher = PRODUCTION, long_term: bool = True,
) -> bytes:  # fmt: skip
    """The PDF signed with the holder's key (PAdES B-LT; B-T with ``long_term=False``), after the passcode."""
    verify_passcode(
        session=session, clock=clock, account_id=account_id, passcode=passcode, action="sign_document", hasher=hasher
    )
    row = _current(session, account_id)
    if row is None or row.status is not CertificateStatus.ACTIVE:
        raise SignatureNotActive("no active signing certificate: activate it, or unlock the account")
    hierarchy = signing.pki.hierarchy(session=session, clock=clock)
    certificate = x509.load_der_x509_certificate(row.certificate)
    trust = _trust(session, clock, signing, certificate) if long_term else None
    signed = pdf.sign_pdf(
        document, keys=signing.vault.open(row.key_ref), certificate=certificate,
        chain=[hierarchy.citizen_ca, hierarchy.root],
        timestamper=InProcessTimeStamper(TimeStampingUnit(hierarchy, clock)), trust=trust,
    )  # fmt: skip
    event = SigningEvent(
        id=new_id(), account_id=account_id, certificate_id=row.id, document_sha256=pdf.digest(document),
        signed_sha256=pdf.digest(signed), level="B-LT" if long_term else "B-T", channel=channel,
        signed_at=clock.now(),
    )  # fmt: skip
    session.add(event)
    _audit_row(session, clock, holder_actor(account_id), "signing.sign", row, {"event_id": event.id})
    return signed


def verify_document(*, session: Session, clock: Clock, signing: Signing, document: bytes) -> list[pdf.SignatureReport]:
    """Every signature of ``document`` checked against CivicID's root with fresh revocation data."""
    trust = _trust(session, clock, signing, None)
    reports = pdf.verify_pdf(document, trust=trust)
    # OCSP answers for each signer this CA knows, fresh: the validator prefers them to the CRL.
    ours = [r.serial for r in reports if r.serial]
    if ours:
        rows = session.scalars(select(SigningCertificate).where(SigningCertificate.serial.in_(ours))).all()
        if rows:
            extra = [
                signing.pki.ocsp_for(
                    session=session, clock=clock, certificate=x509.load_der_x509_certificate(r.certificate)
                )
                for r in rows
            ]
            trust = pdf.Trust(trust.roots, trust.others, pdf.Revocation(trust.revocation.crls, extra), trust.moment)
            reports = pdf.verify_pdf(document, trust=trust)
        statuses = {r.serial: r for r in rows}
        for report in reports:
            row = statuses.get(report.serial or "")
            if row is not None and row.status is CertificateStatus.SUSPENDED:
                report.certificate_status = "suspended"
    return reports


def _trust(session: Session, clock: Clock, signing: Signing, certificate: x509.Certificate | None) -> pdf.Trust:
    hierarchy = signing.pki.hierarchy(session=session, clock=clock)
    crls = [signing.pki.crl(session=session, clock=clock, role=role) for role in (CaRole.ROOT, CaRole.CITIZEN)]
    ocsps = [] if certificate is None else [signing.pki.ocsp_for(session=session, clock=clock, certificate=certificate)]
    return pdf.Trust(
        roots=[hierarchy.root], others=[hierarchy.citizen_ca, hierarchy.tsa],
        revocation=pdf.Revocation(crls=crls, ocsps=ocsps), moment=clock.now(),
    )  # fmt: skip


def history(*, session: Session, account_id: str) -> list[SigningEventView]:
    """The holder's signing history, newest first: hashes and times, no documents."""
    rows = session.scalars(
        select(SigningEvent)
        .where(SigningEvent.account_id == account_id)
        .order_by(SigningEvent.signed_at.desc(), SigningEvent.id)
        .limit(HISTORY_LIMIT)
    ).all()
    return [SigningEventView.model_validate(r) for r in rows]


# Named queries ----------------------------------------------------------------------------------------


def activated_by_village(*, session: Session, commune_codes: Sequence[str]) -> dict[int, int]:
    """Citizens holding a signing certificate not revoked, by village: the campaign's "signatures activated"."""
    if not commune_codes:
        return {}
    # A read of the registry's places, as the wallet's and the campaign's figures do.
    query = (
        select(persons.c.village_id, func.count(func.distinct(SigningCertificate.person_id)))
        .select_from(SigningCertificate)
        .join(persons, persons.c.id == SigningCertificate.person_id)
        .where(
            persons.c.village_id.in_(village_ids_in(commune_codes)),
            SigningCertificate.status != CertificateStatus.REVOKED,
        )
        .group_by(persons.c.village_id)
    )
    return {village_id: int(n) for village_id, n in session.execute(query)}


def _current(session: Session, account_id: str) -> SigningCertificate | None:
    return session.scalar(
        select(SigningCertificate)
        .where(SigningCertificate.account_id == account_id, SigningCertificate.status != CertificateStatus.REVOKED)
        .order_by(SigningCertificate.created_at.desc())
        .limit(1)
    )


def _view(row: SigningCertificate) -> CertificateView:
    subject = x509.load_der_x509_certificate(row.certificate).subject
    return CertificateView(
        id=row.id, serial=row.serial, status=row.status, vault=row.vault, subject=subject.rfc4514_string(),
        subject_name=_attribute(subject, NameOID.COMMON_NAME), subject_id=_attribute(subject, NameOID.SERIAL_NUMBER),
        not_before=row.not_before, not_after=row.not_after, created_at=row.created_at, changed_at=row.changed_at,
    )  # fmt: skip


def _attribute(name: x509.Name, oid: x509.ObjectIdentifier) -> str:
    found = name.get_attributes_for_oid(oid)
    return str(found[0].value) if found else ""


def _audit(session: Session, clock: Clock, account: AccountRead, action: str, details: dict[str, object]) -> None:
    audit.record(
        session=session, clock=clock, actor=holder_actor(account.id), action=action, subject_type="person",
        subject_id=str(account.person_id), details={"account_id": account.id, **details},
    )  # fmt: skip


def _audit_row(
    session: Session, clock: Clock, actor: Actor, action: str, row: SigningCertificate, details: dict[str, object]
) -> None:
    audit.record(
        session=session, clock=clock, actor=actor, action=action, subject_type="person",
        subject_id=str(row.person_id), details={"account_id": row.account_id, "certificate_id": row.id, **details},
    )  # fmt: skip
