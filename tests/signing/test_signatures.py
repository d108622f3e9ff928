"""Digital signatures: the certificate profile, activation's rules, the certificate following the account,
PDFs signed and checked by independent validators (pyHanko's, poppler's ``pdfsig``), revocation, tampering,
and the PKCS#11 path through SoftHSM2."""

from __future__ import annotations

import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.x509.oid import NameOID
from tests.factories import (
    PASSCODE,
    MakePerson,
    Phone,
    activated_phone,
    activated_signature,
    attempt,
    codes_sent,
    issued_account,
    sample_pdf,
)

from civicid.accounts import locks
from civicid.accounts.errors import InvalidCode, InvalidPasscode
from civicid.accounts.hashing import FAST
from civicid.accounts.holder import LOST_PHONE
from civicid.accounts.models import LockGround
from civicid.accounts.passcode import MAX_FAILED_PASSCODES
from civicid.core import audit
from civicid.core.audit import SYSTEM
from civicid.core.database import unit_of_work
from civicid.core.jobs import Worker
from civicid.core.runtime import Context
from civicid.server import merged_handlers
from civicid.signing import service, tasks
from civicid.signing.adapters import Pkcs11Vault
from civicid.signing.ca import Pki
from civicid.signing.errors import SignatureNotActive, SignatureNotAllowed
from civicid.signing.models import CertificateStatus
from civicid.signing.service import CertificateView, Signing


def _sign(context: Context, holder: Phone, signing: Signing, document: bytes, *, long_term: bool = True) -> bytes:
    with unit_of_work(context.database.sessions) as session:
        return service.sign_document(
            session=session, clock=context.clock, signing=signing, account_id=holder.account.id, document=document,
            passcode=PASSCODE, hasher=FAST, long_term=long_term,
        )  # fmt: skip


def _verify(context: Context, signing: Signing, document: bytes) -> list[service.pdf.SignatureReport]:
    with unit_of_work(context.database.sessions) as session:
        return service.verify_document(session=session, clock=context.clock, signing=signing, document=document)


def _certificate(context: Context, holder: Phone) -> x509.Certificate:
    with unit_of_work(context.database.sessions) as session:
        pem = service.certificate_pem(session=session, account_id=holder.account.id)
    return x509.load_pem_x509_certificate(pem.encode())


def _follow(context: Context, signing: Signing) -> None:
    Worker(
        sessions=context.database.sessions, clock=context.clock, handlers=tasks.handlers(lambda: signing)
    ).run_until_idle()


def _refusal(session: object, work: Callable[[], object]) -> Exception | None:
    try:
        work()
    except SignatureNotAllowed as exc:
        return exc
    return None


def _actions(context: Context, holder: Phone) -> list[str]:
    with unit_of_work(context.database.sessions) as session:
        entries = audit.entries_for_subject(session=session, subject_type="person", subject_id=str(holder.person.id))
    return [e.action for e in entries]


def test_the_certificate_is_for_non_repudiation_in_the_citizens_name_and_id_number(
    context: Context, holder: Phone, certificate: CertificateView
) -> None:
    issued = _certificate(context, holder)
    usage = issued.extensions.get_extension_for_class(x509.KeyUsage)
    assert usage.critical
    assert usage.value.content_commitment
    assert usage.value.digital_signature
    assert not usage.value.key_cert_sign
    assert issued.subject.get_attributes_for_oid(NameOID.COMMON_NAME)[0].value == holder.person.full_name
    serial = issued.subject.get_attributes_for_oid(NameOID.SERIAL_NUMBER)[0].value
    assert serial == f"IDCVN-{holder.person.id_number}"
    assert issued.extensions.get_extension_for_class(x509.BasicConstraints).value.ca is False
    points = issued.extensions.get_extension_for_class(x509.CRLDistributionPoints).value
    assert points[0].full_name[0].value.endswith("/pki/crl/citizen.crl")
    assert certificate.status is CertificateStatus.ACTIVE
    assert certificate.vault == "keystore"


def test_a_signed_pdf_is_pades_b_lt_and_pyhankos_validator_accepts_it(
    context: Context, holder: Phone, signing: Signing, certificate: CertificateView
) -> None:
    signed = _sign(context, holder, signing, sample_pdf())

    [report] = _verify(context, signing, signed)
    assert report.ok, report.problems
    assert (report.intact, report.valid, report.trusted, report.timestamped) == (True, True, True, True)
    assert report.level == "B-LT"
    assert report.signer == holder.person.full_name
    assert report.signer_id == f"IDCVN-{holder.person.id_number}"
    assert report.certificate_status == "good"
    with unit_of_work(context.database.sessions) as session:
        [event] = service.history(session=session, account_id=holder.account.id)
    assert event.level == "B-LT"
    assert len(event.document_sha256) == 64


def test_without_revocation_data_the_signature_is_b_t(
    context: Context, holder: Phone, signing: Signing, certificate: CertificateView
) -> None:
    [report] = _verify(context, signing, _sign(context, holder, signing, sample_pdf(), long_term=False))
    assert report.ok
    assert report.level == "B-T"
    assert report.timestamped


def test_poppler_pdfsig_says_the_signature_is_valid_and_a_changed_one_is_not(
    context: Context, holder: Phone, signing: Signing, certificate: CertificateView, pdfsig: str, tmp_path: Path
) -> None:
    signed = _sign(context, holder, signing, sample_pdf(), long_term=False)
    good, bad = tmp_path / "signed.pdf", tmp_path / "changed.pdf"
    good.write_bytes(signed)
    bad.write_bytes(_tampered(signed))

    said = subprocess.run([pdfsig, str(good)], capture_output=True, text=True, check=False).stdout  # noqa: S603
    assert "Signature Validation: Signature is Valid." in said
    assert f"IDCVN-{holder.person.id_number}" in said
    changed = subprocess.run([pdfsig, str(bad)], capture_output=True, text=True, check=False).stdout  # noqa: S603
    assert "Signature is Valid." not in changed


def _tampered(signed: bytes) -> bytes:
    """One letter of the document's title changed, inside the signed bytes."""
    at = signed.index(b"Application")
    return signed[:at] + b"Applicatiom" + signed[at + len(b"Application") :]


def test_a_modified_pdf_fails_integrity(
    context: Context, holder: Phone, signing: Signing, certificate: CertificateView
) -> None:
    signed = _sign(context, holder, signing, sample_pdf())
    [report] = _verify(context, signing, _tampered(signed))
    assert not report.intact
    assert not report.ok
    assert "the signed bytes were changed" in report.problems


def test_a_revoked_certificate_is_reported_revoked(
    context: Context, holder: Phone, signing: Signing, certificate: CertificateView
) -> None:
    signed = _sign(context, holder, signing, sample_pdf())
    with unit_of_work(context.database.sessions) as session:
        service.revoke(
            session=session, clock=context.clock, signing=signing, account_id=holder.account.id, actor=SYSTEM
        )

    [report] = _verify(context, signing, signed)
    assert report.certificate_status == "revoked"
    assert not report.ok
    assert report.intact  # the document itself is unchanged
    assert "signing.revoke" in _actions(context, holder)
    with unit_of_work(context.database.sessions) as session, pytest.raises(SignatureNotActive):
        service.sign_document(
            session=session, clock=context.clock, signing=signing, account_id=holder.account.id,
            document=sample_pdf(), passcode=PASSCODE, hasher=FAST,
        )  # fmt: skip


def test_a_level_1_account_cannot_activate_a_signature_and_the_refusal_is_audited(
    context: Context, make_person: MakePerson, signing: Signing
) -> None:
    person = make_person()
    level_1 = Phone(context, person, issued_account(context, person, level=1), phone="0912345678")
    level_1.activate()

    # The edge commits this refusal before raising it (router.REFUSALS), so that the audit entry stays.
    with unit_of_work(context.database.sessions) as session:
        refused = _refusal(session, lambda: service.request_activation_code(
            session=session, clock=context.clock, account_id=level_1.account.id, hasher=FAST
        ))  # fmt: skip
    assert isinstance(refused, SignatureNotAllowed)
    assert "signing.activation_code_request_refuse" in _actions(context, level_1)


def test_a_wrong_sms_code_is_refused_counted_and_audited(context: Context, holder: Phone, signing: Signing) -> None:
    with unit_of_work(context.database.sessions) as session:
        service.request_activation_code(session=session, clock=context.clock, account_id=holder.account.id, hasher=FAST)
    code = codes_sent(context, holder.account.id)[0]
    wrong = "000000" if code != "000000" else "111111"

    refused = attempt(
        context,
        lambda session: service.activate(
            session=session,
            clock=context.clock,
            signing=signing,
            account_id=holder.account.id,
            passcode=PASSCODE,
            code=wrong,
            hasher=FAST,
        ),
    )
    assert isinstance(refused, InvalidCode)
    assert "signing.activate_refuse" in _actions(context, holder)
    with unit_of_work(context.database.sessions) as session:
        assert service.certificate_of(session=session, account_id=holder.account.id) is None


def test_a_lock_suspends_the_certificate_and_unlocking_resumes_it(
    context: Context, holder: Phone, signing: Signing, certificate: CertificateView
) -> None:
    with unit_of_work(context.database.sessions) as session:
        lock = locks.place_lock(
            session=session, clock=context.clock, actor=SYSTEM, account_id=holder.account.id,
            ground=LockGround.BREACH, reason="police decision 12",
        )  # fmt: skip
    _follow(context, signing)
    with unit_of_work(context.database.sessions) as session:
        suspended = service.certificate_of(session=session, account_id=holder.account.id)
    assert suspended is not None
    assert suspended.status is CertificateStatus.SUSPENDED

    with unit_of_work(context.database.sessions) as session:
        locks.lift_lock(
            session=session, clock=context.clock, actor=SYSTEM, account_id=holder.account.id, lock_id=lock.id,
            reason="decision withdrawn",
        )  # fmt: skip
    _follow(context, signing)
    with unit_of_work(context.database.sessions) as session:
        resumed = service.certificate_of(session=session, account_id=holder.account.id)
    assert resumed is not None
    assert resumed.status is CertificateStatus.ACTIVE


def test_a_lost_phone_revokes_the_certificate(
    context: Context, holder: Phone, signing: Signing, certificate: CertificateView
) -> None:
    with unit_of_work(context.database.sessions) as session:
        locks.place_lock(
            session=session, clock=context.clock, actor=SYSTEM, account_id=holder.account.id,
            ground=LockGround.HOLDER, reason=LOST_PHONE,
        )  # fmt: skip
    _follow(context, signing)
    with unit_of_work(context.database.sessions) as session:
        assert service.certificate_of(session=session, account_id=holder.account.id) is None
    assert "signing.revoke" in _actions(context, holder)


def test_the_pkcs11_path_signs_through_softhsm2(
    context: Context, make_person: MakePerson, softhsm: tuple[Path, str, str]
) -> None:
    module, label, pin = softhsm
    vault = Pkcs11Vault(module, label, pin)
    hsm = Signing(Pki.of_settings(context.settings), vault)
    holder = activated_phone(context, make_person())
    issued = activated_signature(context, holder, hsm)
    assert issued.vault == "pkcs11"

    [report] = _verify(context, hsm, _sign(context, holder, hsm, sample_pdf()))
    assert report.ok, report.problems
    assert report.signer_id == f"IDCVN-{holder.person.id_number}"
    vault.close()


def test_a_wrong_passcode_refuses_activation_and_is_counted(context: Context, holder: Phone, signing: Signing) -> None:
    with unit_of_work(context.database.sessions) as session:
        service.request_activation_code(session=session, clock=context.clock, account_id=holder.account.id, hasher=FAST)
    code = codes_sent(context, holder.account.id)[0]

    refused = attempt(
        context,
        lambda session: service.activate(
            session=session,
            clock=context.clock,
            signing=signing,
            account_id=holder.account.id,
            passcode="000000" if PASSCODE != "000000" else "111111",
            code=code,
            hasher=FAST,
        ),
    )
    assert isinstance(refused, InvalidPasscode)
    assert refused.extensions["attempts_left"] == MAX_FAILED_PASSCODES - 1
    assert "account.passcode_refuse" in _actions(context, holder)
    with unit_of_work(context.database.sessions) as session:
        assert service.certificate_of(session=session, account_id=holder.account.id) is None


def test_the_worker_runs_credentials_and_signing_for_one_account_event() -> None:
    ran: list[str] = []
    merged = merged_handlers(
        {"accounts.status_changed": lambda s, c, subject: ran.append(f"credentials:{subject}")},
        {"accounts.status_changed": lambda s, c, subject: ran.append(f"signing:{subject}")},
        {"wallet.document_changed": lambda s, c, subject: ran.append(f"wallet:{subject}")},
    )
    merged["accounts.status_changed"](None, None, "7")  # type: ignore[arg-type]
    assert ran == ["credentials:7", "signing:7"]
    assert set(merged) == {"accounts.status_changed", "wallet.document_changed"}
