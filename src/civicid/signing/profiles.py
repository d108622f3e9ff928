"""Certificate profiles of the signing hierarchy (decision 0047), built with ``cryptography``.

- Root CA: self-signed, 20 years, ``basicConstraints`` CA with path length 1, ``keyCertSign`` and
  ``cRLSign`` (RFC 5280 §4.2.1.3, §4.2.1.9).
- Citizen CA: 10 years under the root, path length 0; signs citizens' certificates, its CRL and the
  OCSP responses for them (RFC 6960 §4.2.2.2: the CA itself responds).
- Time-stamping unit: an end entity under the root, ``extKeyUsage`` ``timeStamping`` only and
  critical (RFC 3161 §2.3).
- A citizen's signature: 2 years, ``keyUsage`` ``digitalSignature`` and ``nonRepudiation``
  (``contentCommitment``) critical; the subject names the person (``CN``, ``C=VN``) and their ID
  number as ``serialNumber`` with the ETSI EN 319 412-1 §5.1.3 semantics identifier ``IDCVN-``;
  CRL distribution point and OCSP responder on the server (RFC 5280 §4.2.1.13, §4.2.2.1).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import AuthorityInformationAccessOID, ExtendedKeyUsageOID, NameOID

ROOT_LIFETIME = dt.timedelta(days=20 * 365)
CITIZEN_CA_LIFETIME = dt.timedelta(days=10 * 365)
TSA_LIFETIME = dt.timedelta(days=5 * 365)
SIGNATURE_LIFETIME = dt.timedelta(days=2 * 365)
#: Clocks of relying parties run a little behind; a certificate is valid from a minute before it is made.
BACKDATE = dt.timedelta(minutes=1)
#: ETSI EN 319 412-1 §5.1.3: a national identity card number of Vietnam.
ID_NUMBER_PREFIX = "IDCVN-"
ORGANISATION = "CivicID"


@dataclass(frozen=True)
class Links:
    """Where relying parties fetch what a certificate points to: the server's ``/pki/`` endpoints."""

    base_url: str

    def crl(self, role: str) -> str:
        return f"{self.base_url.rstrip('/')}/pki/crl/{role}.crl"

    def ca(self, role: str) -> str:
        return f"{self.base_url.rstrip('/')}/pki/ca/{role}.cer"

    def ocsp(self) -> str:
        return f"{self.base_url.rstrip('/')}/pki/ocsp"


def _name(common_name: str) -> x509.Name:
    return x509.Name(
        [
            x509.NameAttribute(NameOID.COUNTRY_NAME, "VN"),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, ORGANISATION),
            x509.NameAttribute(NameOID.COMMON_NAME, common_name),
        ]
    )


def citizen_name(full_name: str, id_number: str) -> x509.Name:
    return x509.Name(
        [
            x509.NameAttribute(NameOID.COUNTRY_NAME, "VN"),
            x509.NameAttribute(NameOID.COMMON_NAME, full_name),
            x509.NameAttribute(NameOID.SERIAL_NUMBER, f"{ID_NUMBER_PREFIX}{id_number}"),
        ]
    )


def _key_usage(**on: bool) -> x509.KeyUsage:
    names = (
        "digital_signature", "content_commitment", "key_encipherment", "data_encipherment", "key_agreement",
        "key_cert_sign", "crl_sign", "encipher_only", "decipher_only",
    )  # fmt: skip
    return x509.KeyUsage(**{name: on.get(name, False) for name in names})


def _builder(
    subject: x509.Name, issuer: x509.Name, public: ec.EllipticCurvePublicKey, now: dt.datetime, life: dt.timedelta
) -> x509.CertificateBuilder:
    return (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(issuer)
        .public_key(public)
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - BACKDATE)
        .not_valid_after(now + life)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(public), critical=False)
    )


def _under(builder: x509.CertificateBuilder, issuer: x509.Certificate) -> x509.CertificateBuilder:
    ski = issuer.extensions.get_extension_for_class(x509.SubjectKeyIdentifier).value
    return builder.add_extension(x509.AuthorityKeyIdentifier.from_issuer_subject_key_identifier(ski), critical=False)


def _revocation_links(builder: x509.CertificateBuilder, links: Links, ca_role: str) -> x509.CertificateBuilder:
    point = x509.DistributionPoint([x509.UniformResourceIdentifier(links.crl(ca_role))], None, None, None)
    return builder.add_extension(x509.CRLDistributionPoints([point]), critical=False)


def root_certificate(key: ec.EllipticCurvePrivateKey, now: dt.datetime) -> x509.Certificate:
    name = _name("CivicID Root CA")
    builder = (
        _builder(name, name, key.public_key(), now, ROOT_LIFETIME)
        .add_extension(x509.BasicConstraints(ca=True, path_length=1), critical=True)
        .add_extension(_key_usage(key_cert_sign=True, crl_sign=True), critical=True)
    )
    return builder.sign(key, hashes.SHA256())


def citizen_ca_certificate(
    key: ec.EllipticCurvePublicKey, root: x509.Certificate, root_key: ec.EllipticCurvePrivateKey,
    links: Links, now: dt.datetime,
) -> x509.Certificate:  # fmt: skip
    builder = _builder(_name("CivicID Citizen Signing CA"), root.subject, key, now, CITIZEN_CA_LIFETIME)
    builder = _revocation_links(_under(builder, root), links, "root")
    builder = builder.add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True).add_extension(
        _key_usage(digital_signature=True, key_cert_sign=True, crl_sign=True), critical=True
    )
    return builder.sign(root_key, hashes.SHA256())


def tsa_certificate(
    key: ec.EllipticCurvePublicKey, root: x509.Certificate, root_key: ec.EllipticCurvePrivateKey,
    links: Links, now: dt.datetime,
) -> x509.Certificate:  # fmt: skip
    builder = _builder(_name("CivicID Time-Stamping Unit (demo)"), root.subject, key, now, TSA_LIFETIME)
    builder = _revocation_links(_under(builder, root), links, "root")
    builder = (
        builder.add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(_key_usage(digital_signature=True), critical=True)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.TIME_STAMPING]), critical=True)
    )
    return builder.sign(root_key, hashes.SHA256())


def signature_certificate(
    *, key: ec.EllipticCurvePublicKey, full_name: str, id_number: str, ca: x509.Certificate,
    ca_key: ec.EllipticCurvePrivateKey, links: Links, now: dt.datetime,
) -> x509.Certificate:  # fmt: skip
    not_after = min(now + SIGNATURE_LIFETIME, ca.not_valid_after_utc)
    builder = _builder(citizen_name(full_name, id_number), ca.subject, key, now, not_after - now)
    builder = _revocation_links(_under(builder, ca), links, "citizen")
    builder = (
        builder.add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(_key_usage(digital_signature=True, content_commitment=True), critical=True)
        .add_extension(
            x509.AuthorityInformationAccess(
                [
                    x509.AccessDescription(
                        AuthorityInformationAccessOID.OCSP, x509.UniformResourceIdentifier(links.ocsp())
                    ),
                    x509.AccessDescription(
                        AuthorityInformationAccessOID.CA_ISSUERS, x509.UniformResourceIdentifier(links.ca("citizen"))
                    ),
                ]
            ),
            critical=False,
        )
    )
    return builder.sign(ca_key, hashes.SHA256())
