"""The signing hierarchy (decision 0047): a root CA, the citizen signing CA and the time-stamping unit,
made on first use with their keys in the keystore; the citizen CA's CRL (RFC 5280 §5) and its OCSP
answers (RFC 6960), computed from the ``signing_revocation`` rows whenever asked.

:class:`Pki` is the runtime object (keystore, the server's public address); :meth:`Pki.hierarchy`
gives the certificates and keys, creating them in the caller's transaction the first time.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509 import ocsp
from cryptography.x509.ocsp import OCSPCertStatus, OCSPRequest
from sqlalchemy import select
from sqlalchemy.orm import Session

from civicid.core.clock import Clock
from civicid.core.keystore import FileKeystore, Keystore, master_key_from_environment
from civicid.core.settings import Settings
from civicid.signing import profiles
from civicid.signing.models import CaRole, RevocationReason, SigningAuthority, SigningCertificate, SigningRevocation

#: A CRL and an OCSP answer are good this long; relying parties fetch again after.
CRL_LIFETIME = dt.timedelta(days=1)
OCSP_LIFETIME = dt.timedelta(hours=1)
REASONS = {
    RevocationReason.KEY_COMPROMISE: x509.ReasonFlags.key_compromise,
    RevocationReason.CESSATION_OF_OPERATION: x509.ReasonFlags.cessation_of_operation,
    RevocationReason.SUPERSEDED: x509.ReasonFlags.superseded,
    RevocationReason.CERTIFICATE_HOLD: x509.ReasonFlags.certificate_hold,
}


@dataclass(frozen=True)
class Hierarchy:
    root: x509.Certificate
    citizen_ca: x509.Certificate
    tsa: x509.Certificate
    root_key: ec.EllipticCurvePrivateKey
    citizen_key: ec.EllipticCurvePrivateKey
    tsa_key: ec.EllipticCurvePrivateKey

    def certificate(self, role: CaRole) -> x509.Certificate:
        return {CaRole.ROOT: self.root, CaRole.CITIZEN: self.citizen_ca, CaRole.TSA: self.tsa}[role]


class Pki:
    """The signing CA of one deployment: keys in its keystore, links to its public address."""

    def __init__(self, keystore: FileKeystore, links: profiles.Links) -> None:
        self.keystore = keystore
        self.links = links
        self._hierarchy: Hierarchy | None = None

    @classmethod
    def of_settings(cls, settings: Settings) -> Pki:
        return cls.of_data_dir(settings.data_dir, settings.public_url)

    @classmethod
    def of_data_dir(cls, data_dir: Path, public_url: str) -> Pki:
        return cls(Keystore.open(data_dir, master_key_from_environment()), profiles.Links(public_url))

    def hierarchy(self, *, session: Session, clock: Clock) -> Hierarchy:
        """The CA certificates and keys; made the first time (``civicid sign ca init`` does it ahead)."""
        if self._hierarchy is not None:
            return self._hierarchy
        rows = {row.role: row for row in session.scalars(select(SigningAuthority))}
        created = len(rows) < len(CaRole)
        if created:
            rows = self._create(session, clock, rows)
        certificates = {role: x509.load_der_x509_certificate(row.certificate) for role, row in rows.items()}
        hierarchy = Hierarchy(
            root=certificates[CaRole.ROOT],
            citizen_ca=certificates[CaRole.CITIZEN],
            tsa=certificates[CaRole.TSA],
            root_key=self.keystore.pki_signing_key("ca-root"),
            citizen_key=self.keystore.pki_signing_key("ca-citizen"),
            tsa_key=self.keystore.pki_signing_key("tsa"),
        )
        # Kept only once read back from the database: rows made in this transaction may yet roll back.
        if not created:
            self._hierarchy = hierarchy
        return hierarchy

    def _create(
        self, session: Session, clock: Clock, rows: dict[CaRole, SigningAuthority]
    ) -> dict[CaRole, SigningAuthority]:
        now = clock.now()
        root_key = self.keystore.pki_signing_key("ca-root")
        root = rows.get(CaRole.ROOT)
        root_cert = (
            x509.load_der_x509_certificate(root.certificate)
            if root is not None
            else profiles.root_certificate(root_key, now)
        )
        made = {CaRole.ROOT: root_cert}
        if CaRole.CITIZEN not in rows:
            key = self.keystore.pki_signing_key("ca-citizen")
            made[CaRole.CITIZEN] = profiles.citizen_ca_certificate(
                key.public_key(), root_cert, root_key, self.links, now
            )
        if CaRole.TSA not in rows:
            key = self.keystore.pki_signing_key("tsa")
            made[CaRole.TSA] = profiles.tsa_certificate(key.public_key(), root_cert, root_key, self.links, now)
        for role, certificate in made.items():
            if role in rows:
                continue
            row = SigningAuthority(
                role=role,
                serial=format(certificate.serial_number, "x"),
                certificate=certificate.public_bytes(serialization.Encoding.DER),
                not_before=certificate.not_valid_before_utc,
                not_after=certificate.not_valid_after_utc,
                created_at=now,
            )
            session.add(row)
            rows[role] = row
        session.flush()
        return rows

    # CRLs and OCSP ---------------------------------------------------------------------------------

    def crl(self, *, session: Session, clock: Clock, role: CaRole) -> bytes:
        """The DER CRL of ``role`` (root or citizen), signed now and good for :data:`CRL_LIFETIME`."""
        hierarchy = self.hierarchy(session=session, clock=clock)
        now = clock.now()
        entries: Sequence[SigningRevocation] = []
        if role is CaRole.ROOT:
            issuer, key = hierarchy.root, hierarchy.root_key
        else:
            issuer, key, entries = hierarchy.citizen_ca, hierarchy.citizen_key, live_revocations(session)
        builder = (
            x509.CertificateRevocationListBuilder()
            .issuer_name(issuer.subject)
            .last_update(now)
            .next_update(now + CRL_LIFETIME)
            # RFC 5280 §5.2.3: monotonically increasing; the signing second serves.
            .add_extension(x509.CRLNumber(int(now.timestamp())), critical=False)
            .add_extension(
                x509.AuthorityKeyIdentifier.from_issuer_public_key(issuer.public_key()),  # type: ignore[arg-type]
                critical=False,
            )
        )
        for entry in entries:
            builder = builder.add_revoked_certificate(
                x509.RevokedCertificateBuilder()
                .serial_number(int(entry.serial, 16))
                .revocation_date(entry.revoked_at)
                .add_extension(x509.CRLReason(REASONS[entry.reason]), critical=False)
                .build()
            )
        return builder.sign(key, hashes.SHA256()).public_bytes(serialization.Encoding.DER)

    def ocsp(self, *, session: Session, clock: Clock, request: bytes) -> bytes:
        """The DER OCSP response to a DER request (RFC 6960 §4.2), signed by the citizen CA itself.

        A malformed request gets ``malformedRequest``, one about another CA's certificate
        ``unauthorized`` (§2.3); a serial this CA never issued is ``unknown``. A suspended
        certificate is ``revoked`` with reason ``certificateHold`` (§2.2).
        """
        try:
            asked = ocsp.load_der_ocsp_request(request)
        except ValueError:
            return _unsuccessful(ocsp.OCSPResponseStatus.MALFORMED_REQUEST)
        hierarchy = self.hierarchy(session=session, clock=clock)
        ca = hierarchy.citizen_ca
        if asked.issuer_key_hash != _key_hash(ca, asked.hash_algorithm):
            return _unsuccessful(ocsp.OCSPResponseStatus.UNAUTHORIZED)
        now = clock.now()
        serial = format(asked.serial_number, "x")
        row = session.scalar(select(SigningCertificate).where(SigningCertificate.serial == serial))
        if row is None:  # RFC 6960 §2.2: a serial this CA never issued
            return self._single(hierarchy, asked, ocsp.OCSPCertStatus.UNKNOWN, None, None, now)
        revocation = live_revocation_of(session, row.id)
        if revocation is None:
            return self._single(hierarchy, asked, ocsp.OCSPCertStatus.GOOD, None, None, now)
        return self._single(
            hierarchy, asked, ocsp.OCSPCertStatus.REVOKED, revocation.revoked_at, REASONS[revocation.reason], now
        )

    def _single(
        self, hierarchy: Hierarchy, asked: OCSPRequest, status: OCSPCertStatus,
        revoked_at: dt.datetime | None, reason: x509.ReasonFlags | None, now: dt.datetime,
    ) -> bytes:  # fmt: skip
        builder = ocsp.OCSPResponseBuilder().add_response_by_hash(
            issuer_name_hash=asked.issuer_name_hash, issuer_key_hash=asked.issuer_key_hash,
            serial_number=asked.serial_number, algorithm=asked.hash_algorithm, cert_status=status,
            this_update=now, next_update=now + OCSP_LIFETIME, revocation_time=revoked_at, revocation_reason=reason,
        ).responder_id(ocsp.OCSPResponderEncoding.HASH, hierarchy.citizen_ca)  # fmt: skip
        for extension in asked.extensions:
            if isinstance(extension.value, x509.OCSPNonce):  # RFC 6960 §4.4.1: echo the nonce
                builder = builder.add_extension(extension.value, critical=False)
        response = builder.sign(hierarchy.citizen_key, hashes.SHA256())
        return response.public_bytes(serialization.Encoding.DER)

    def ocsp_for(self, *, session: Session, clock: Clock, certificate: x509.Certificate) -> bytes:
        """The OCSP response for one of the citizen CA's certificates, asked in-process (B-LT, verification)."""
        ca = self.hierarchy(session=session, clock=clock).citizen_ca
        request = ocsp.OCSPRequestBuilder().add_certificate(certificate, ca, hashes.SHA256()).build()
        return self.ocsp(session=session, clock=clock, request=request.public_bytes(serialization.Encoding.DER))


def live_revocations(session: Session) -> Sequence[SigningRevocation]:
    """What the citizen CA's CRL lists: revocations, and holds not lifted."""
    return session.scalars(
        select(SigningRevocation).where(SigningRevocation.lifted_at.is_(None)).order_by(SigningRevocation.revoked_at)
    ).all()


def live_revocation_of(session: Session, certificate_id: str) -> SigningRevocation | None:
    rows = session.scalars(
        select(SigningRevocation).where(
            SigningRevocation.certificate_id == certificate_id, SigningRevocation.lifted_at.is_(None)
        )
    ).all()
    # A revocation outranks a hold placed before it.
    ordered = sorted(rows, key=lambda r: (r.reason is not RevocationReason.CERTIFICATE_HOLD, r.revoked_at))
    return ordered[-1] if ordered else None


def _key_hash(ca: x509.Certificate, algorithm: hashes.HashAlgorithm) -> bytes:
    # RFC 6960 §4.1.1: the hash of the issuer's public key, the BIT STRING's value without tag and length.
    public = ca.public_key().public_bytes(serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint)
    digest = hashes.Hash(algorithm)
    digest.update(public)
    return digest.finalize()


def _unsuccessful(status: ocsp.OCSPResponseStatus) -> bytes:
    return ocsp.OCSPResponseBuilder.build_unsuccessful(status).public_bytes(serialization.Encoding.DER)
