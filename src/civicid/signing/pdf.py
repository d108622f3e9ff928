"""Signing and verifying PDFs with pyHanko: PAdES baseline B-T, and B-LT with revocation data (decision 0049).

- :func:`sign_pdf` adds a PAdES signature (``ETSI.CAdES.detached``) made by a key in a
  :class:`~civicid.signing.ports.KeyVault`, with an RFC 3161 time stamp from the server's TSU
  (B-T, ETSI EN 319 142-1 §6.3). With ``revocation`` it embeds the chain's CRLs and the signer's
  OCSP response in the document security store (B-LT, §6.4).
- :func:`verify_pdf` checks any signed PDF: integrity (the signed byte ranges' digest), the
  signature, the chain to CivicID's root, the certificate's status from CRLs and OCSP answers the
  caller passes (fresh ones, so a certificate revoked since signing is reported revoked), and the
  time stamp.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import hashlib
import io
from collections.abc import Sequence
from dataclasses import dataclass, field

from asn1crypto import algos, crl, ocsp
from asn1crypto import x509 as asn1_x509
from cryptography import x509
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.pdf_utils.misc import PdfError
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign import fields, signers
from pyhanko.sign.validation import async_validate_pdf_signature
from pyhanko.sign.validation.errors import SignatureValidationError
from pyhanko_certvalidator import ValidationContext
from pyhanko_certvalidator.registry import SimpleCertificateStore

from civicid.signing.errors import InvalidDocument
from civicid.signing.ports import SignerKeys
from civicid.signing.tsa import InProcessTimeStamper, asn1_certificate

#: The largest PDF signed or verified: bounded memory per request (the API caps the body the same).
MAX_PDF_BYTES = 20 * 1024 * 1024
FIELD_NAME = "CivicIDSignature"
#: A DER ECDSA P-256 signature is at most 72 bytes; pyHanko sizes the signature's placeholder with it.
_DRY_RUN_SIGNATURE = bytes(72)


class VaultSigner(signers.Signer):
    """A pyHanko signer whose private key stays in a vault: only the signed attributes go to it."""

    def __init__(self, keys: SignerKeys, certificate: x509.Certificate, chain: Sequence[x509.Certificate]) -> None:
        super().__init__(
            signing_cert=asn1_certificate(certificate),
            cert_registry=SimpleCertificateStore.from_certs([asn1_certificate(c) for c in chain]),
            signature_mechanism=algos.SignedDigestAlgorithm({"algorithm": "sha256_ecdsa"}),
            embed_roots=True,
        )
        self._keys = keys

    async def async_sign_raw(self, data: bytes, digest_algorithm: str, dry_run: bool = False) -> bytes:
        if dry_run:
            return _DRY_RUN_SIGNATURE
        return self._keys.sign(data)


@dataclass(frozen=True)
class Revocation:
    """Revocation data: DER CRLs and OCSP responses, from the server's own CA (fresh when asked)."""

    crls: Sequence[bytes] = ()
    ocsps: Sequence[bytes] = ()


@dataclass(frozen=True)
class Trust:
    """What verification trusts: the root, the intermediates to find, the revocation data, the moment."""

    roots: Sequence[x509.Certificate]
    others: Sequence[x509.Certificate]
    revocation: Revocation
    moment: dt.datetime

    def context(self) -> ValidationContext:
        return ValidationContext(
            trust_roots=[asn1_certificate(c) for c in self.roots],
            other_certs=[asn1_certificate(c) for c in self.others],
            crls=[crl.CertificateList.load(c) for c in self.revocation.crls],
            ocsps=[ocsp.OCSPResponse.load(o) for o in self.revocation.ocsps],
            allow_fetching=False,
            # Revocation is checked wherever a certificate points to it; failing to find it fails.
            revocation_mode="hard-fail",
            moment=self.moment,
        )


def sign_pdf(
    document: bytes, *, keys: SignerKeys, certificate: x509.Certificate, chain: Sequence[x509.Certificate],
    timestamper: InProcessTimeStamper, trust: Trust | None = None, reason: str | None = None,
) -> bytes:  # fmt: skip
    """``document`` signed (PAdES B-T; B-LT when ``trust`` brings the revocation data to embed)."""
    writer = _writer(document)
    metadata = signers.PdfSignatureMetadata(
        field_name=FIELD_NAME,
        subfilter=fields.SigSeedSubFilter.PADES,
        md_algorithm="sha256",
        reason=reason,
        embed_validation_info=trust is not None,
        validation_context=trust.context() if trust is not None else None,
        use_pades_lta=False,
    )
    signer = VaultSigner(keys, certificate, chain)
    output = io.BytesIO()
    pdf_signer = signers.PdfSigner(metadata, signer=signer, timestamper=timestamper)
    try:
        _run(pdf_signer.async_sign_pdf(writer, output=output))
    except (PdfError, ValueError) as exc:
        raise InvalidDocument(f"the PDF cannot be signed ({type(exc).__name__})") from exc
    return output.getvalue()


@dataclass
class SignatureReport:
    """What a verifier says of one signature (``civicid sign verify --json``, the app's verify screen)."""

    field_name: str
    signer: str | None
    signer_id: str | None  # the subject's serialNumber (IDCVN-…)
    serial: str | None  # the certificate's serial, hex
    signed_at: str | None  # the time stamp's time (ISO 8601), else the claimed signing time
    timestamped: bool
    intact: bool  # the signed bytes are unchanged
    valid: bool  # the signature over them is valid
    trusted: bool  # the chain reaches CivicID's root, with good revocation data
    certificate_status: str  # "good", "revoked", "unknown"
    revocation_reason: str | None
    changed_after: bool  # revisions after the signature change more than validation data (DocMDP)
    level: str  # "B-T", "B-LT", "B-B"
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return (
            self.intact and self.valid and self.trusted and not self.changed_after and self.certificate_status == "good"
        )


def verify_pdf(document: bytes, *, trust: Trust) -> list[SignatureReport]:
    """Every signature of ``document``, checked; an empty list if it has none."""
    reader = _reader(document)
    reports: list[SignatureReport] = []
    try:
        embedded_signatures = list(reader.embedded_signatures)
    except (PdfError, ValueError, KeyError, TypeError) as exc:
        raise InvalidDocument("the PDF's signature fields cannot be read") from exc
    for embedded in embedded_signatures:
        try:
            report = _run(_report(embedded, trust))
        except (PdfError, ValueError, KeyError, TypeError, NotImplementedError) as exc:
            # A signature this validator cannot read at all (an unknown algorithm, a broken CMS): not valid.
            report = _unreadable(embedded.field_name, type(exc).__name__)
        assert isinstance(report, SignatureReport)  # noqa: S101 - what _report returns
        reports.append(report)
    return reports


async def _report(embedded: object, trust: Trust) -> SignatureReport:
    from pyhanko.sign.general import SignedDataCerts  # noqa: F401 - keeps pyHanko's registry loaded
    from pyhanko.sign.validation.pdf_embedded import EmbeddedPdfSignature

    assert isinstance(embedded, EmbeddedPdfSignature)  # noqa: S101 - what the reader yields
    certificate = embedded.signer_cert
    subject = certificate.subject.native
    problems: list[str] = []
    try:
        status = await async_validate_pdf_signature(
            embedded, signer_validation_context=trust.context(), ts_validation_context=trust.context()
        )
    except SignatureValidationError as exc:
        problems.append(exc.failure_message)
        return SignatureReport(
            field_name=embedded.field_name, signer=subject.get("common_name"), signer_id=subject.get("serial_number"),
            serial=format(certificate.serial_number, "x"), signed_at=None, timestamped=False, intact=False,
            valid=False, trusted=False, certificate_status="unknown", revocation_reason=None,
            changed_after=False, level="B-B", problems=problems,
        )  # fmt: skip
    revoked = status.revocation_details is not None
    reason = None
    if revoked and status.revocation_details is not None:
        reason = str(status.revocation_details.revocation_reason.native)
    timestamp = status.timestamp_validity
    signed_at = timestamp.timestamp if timestamp is not None else status.signer_reported_dt
    if not status.intact:
        problems.append("the signed bytes were changed")
    if not status.trusted and not revoked:
        problems.append(str(status.trust_problem_indic or "the chain does not reach CivicID's root"))
    has_dss = reader_has_dss(embedded)
    modification = status.modification_level
    changed_after = modification is not None and modification.name not in {"NONE", "LTA_UPDATES"}
    if changed_after:
        problems.append("the document was changed after it was signed")
    return SignatureReport(
        field_name=embedded.field_name,
        signer=subject.get("common_name"),
        signer_id=subject.get("serial_number"),
        serial=format(certificate.serial_number, "x"),
        signed_at=signed_at.isoformat() if signed_at is not None else None,
        timestamped=timestamp is not None,
        intact=status.intact,
        valid=status.valid,
        trusted=status.trusted,
        certificate_status="revoked" if revoked else ("good" if status.trusted else "unknown"),
        revocation_reason=reason,
        changed_after=changed_after,
        level=("B-LT" if has_dss else "B-T") if timestamp is not None else "B-B",
        problems=problems,
    )


def _unreadable(field_name: str, why: str) -> SignatureReport:
    return SignatureReport(
        field_name=field_name, signer=None, signer_id=None, serial=None, signed_at=None, timestamped=False,
        intact=False, valid=False, trusted=False, certificate_status="unknown", revocation_reason=None,
        changed_after=False, level="B-B", problems=[f"the signature cannot be read ({why})"],
    )  # fmt: skip


def reader_has_dss(embedded: object) -> bool:
    reader = getattr(embedded, "reader", None)
    root = reader.root if reader is not None else {}
    return "/DSS" in root


def digest(document: bytes) -> str:
    return hashlib.sha256(document).hexdigest()


def asn1(certificate: x509.Certificate) -> asn1_x509.Certificate:
    return asn1_certificate(certificate)


def _writer(document: bytes) -> IncrementalPdfFileWriter:
    _check_size(document)
    try:
        writer = IncrementalPdfFileWriter(io.BytesIO(document), strict=False)
    except (PdfError, ValueError, KeyError, IndexError) as exc:
        raise InvalidDocument("not a PDF") from exc
    if writer.prev.encrypted:
        raise InvalidDocument("an encrypted PDF cannot be signed here")
    return writer


def _reader(document: bytes) -> PdfFileReader:
    _check_size(document)
    try:
        return PdfFileReader(io.BytesIO(document), strict=False)
    except (PdfError, ValueError, KeyError, IndexError) as exc:
        raise InvalidDocument("not a PDF") from exc


def _check_size(document: bytes) -> None:
    if len(document) > MAX_PDF_BYTES:
        raise InvalidDocument(f"a PDF is at most {MAX_PDF_BYTES // (1024 * 1024)} MiB")
    if not document.startswith(b"%PDF-"):
        raise InvalidDocument("not a PDF")


def _run(coroutine: object) -> object:
    """Run pyHanko's coroutine to its end: in a thread of its own when the caller's thread has a loop."""
    import concurrent.futures

    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(coroutine)  # type: ignore[arg-type]
    with concurrent.futures.ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(asyncio.run, coroutine).result()  # type: ignore[arg-type]
