"""The demo's time-stamping authority (RFC 3161), and the time-stamp client pyHanko signs with.

:class:`TimeStampingUnit` answers a ``TimeStampReq`` with a ``TimeStampResp`` whose token is a CMS
``SignedData`` over a ``TSTInfo`` (RFC 3161 §2.4.2), signed (ECDSA P-256) by the TSU's key, whose certificate
has the critical ``timeStamping`` extended key usage (§2.3), at the injected clock's time. The request
is checked first: version 1, a SHA-2 imprint of the right length, no other policy; anything else is
``rejection`` (§2.4.2 ``PKIFailureInfo``).
It is the demo's TSA ("simulated" in the sense that a deployment would buy time stamps from an
accredited TSA): real signatures, no accredited time source.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets

from asn1crypto import algos, cms, core, tsp
from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from pyhanko.sign.general import as_signing_certificate_v2, simple_cms_attribute
from pyhanko.sign.timestamps.api import TimeStamper

from civicid.core.clock import Clock
from civicid.signing.ca import Hierarchy
from civicid.signing.errors import PkiRequestInvalid

#: The TSA policy of this deployment's demo TSA (a private arc: not an accredited policy).
POLICY_OID = "1.3.6.1.4.1.61113.1.3"
DIGEST_LENGTHS = {"sha256": 32, "sha384": 48, "sha512": 64}
MEDIA_TYPE_REQUEST = "application/timestamp-query"
MEDIA_TYPE_REPLY = "application/timestamp-reply"


def asn1_certificate(certificate: x509.Certificate) -> asn1_x509.Certificate:
    return asn1_x509.Certificate.load(certificate.public_bytes(serialization.Encoding.DER))


class Rejected(PkiRequestInvalid):
    """A request the TSU refuses (RFC 3161 §2.4.2 ``rejection``), with its ``PKIFailureInfo`` bit."""

    def __init__(self, failure: str) -> None:
        super().__init__(f"the time-stamp request is refused ({failure})")
        self.failure = failure


class _Refusal(core.Sequence):  # type: ignore[misc]
    """A ``TimeStampResp`` without a token: asn1crypto's own class requires one, RFC 3161 §2.4.2 does not."""

    _fields = [("status", tsp.PKIStatusInfo)]  # noqa: RUF012 - asn1crypto's declaration


class TimeStampingUnit:
    """The RFC 3161 responder of :class:`~civicid.signing.ca.Hierarchy`'s TSU, at the clock's time."""

    def __init__(self, hierarchy: Hierarchy, clock: Clock) -> None:
        self._key = hierarchy.tsa_key
        self._certificate = asn1_certificate(hierarchy.tsa)
        self._chain = [self._certificate, asn1_certificate(hierarchy.root)]
        self._clock = clock

    def respond(self, request: tsp.TimeStampReq) -> tsp.TimeStampResp:
        """Grant a well-formed request at the clock's time; :class:`Rejected` otherwise (RFC 3161 §2.4.2)."""
        imprint = request["message_imprint"]
        algorithm = imprint["hash_algorithm"]["algorithm"].native
        if request["version"].native != "v1" or DIGEST_LENGTHS.get(algorithm) != len(imprint["hashed_message"].native):
            raise Rejected("bad_alg")
        if request["req_policy"].native not in (None, POLICY_OID):
            raise Rejected("unaccepted_policy")
        now = self._clock.now()
        info = {
            "version": "v1",
            "policy": POLICY_OID,
            "message_imprint": imprint,
            "serial_number": secrets.randbits(63),
            "gen_time": now.astimezone(dt.UTC),
            "tsa": asn1_x509.GeneralName(name="directory_name", value=self._certificate.subject),
        }
        if request["nonce"].native is not None:
            info["nonce"] = request["nonce"].native
        content = tsp.TSTInfo(info).dump()
        # RFC 5652 §5.3 signed attributes; RFC 5816 ESSCertIDv2 names the TSU's certificate.
        signed_attrs = cms.CMSAttributes(
            [
                simple_cms_attribute("content_type", "tst_info"),
                simple_cms_attribute("signing_time", cms.Time({"utc_time": core.UTCTime(now.astimezone(dt.UTC))})),
                simple_cms_attribute("signing_certificate_v2", as_signing_certificate_v2(self._certificate)),
                simple_cms_attribute("message_digest", hashlib.sha256(content).digest()),
            ]
        )
        signature = self._key.sign(signed_attrs.dump(), ec.ECDSA(hashes.SHA256()))
        sha256 = algos.DigestAlgorithm({"algorithm": "sha256"})
        signer = cms.SignerInfo(
            {
                "version": "v1",
                "sid": cms.SignerIdentifier(
                    {
                        "issuer_and_serial_number": cms.IssuerAndSerialNumber(
                            {"issuer": self._certificate.issuer, "serial_number": self._certificate.serial_number}
                        )
                    }
                ),
                "digest_algorithm": sha256,
                "signature_algorithm": algos.SignedDigestAlgorithm({"algorithm": "sha256_ecdsa"}),
                "signed_attrs": signed_attrs,
                "signature": signature,
            }
        )
        signed_data = {
            "version": "v3",
            "digest_algorithms": cms.DigestAlgorithms((sha256,)),
            "encap_content_info": cms.EncapsulatedContentInfo(
                {"content_type": "tst_info", "content": cms.ParsableOctetString(content)}
            ),
            "signer_infos": [signer],
        }
        if request["cert_req"].native:
            signed_data["certificates"] = self._chain
        token = cms.ContentInfo({"content_type": "signed_data", "content": cms.SignedData(signed_data)})
        return tsp.TimeStampResp({"status": {"status": "granted"}, "time_stamp_token": token})

    def respond_der(self, request: bytes) -> bytes:
        """The DER ``TimeStampResp`` to a DER ``TimeStampReq`` (``application/timestamp-query``)."""
        try:
            parsed = tsp.TimeStampReq.load(request)
            parsed.native  # noqa: B018 - parse the whole request now: asn1crypto parses lazily
        except (ValueError, TypeError) as exc:
            raise PkiRequestInvalid("not a DER TimeStampReq") from exc
        try:
            return bytes(self.respond(parsed).dump())
        except Rejected as rejected:
            status = tsp.PKIStatusInfo({"status": "rejection", "fail_info": tsp.PKIFailureInfo({rejected.failure})})
            return bytes(_Refusal({"status": status}).dump())


class InProcessTimeStamper(TimeStamper):
    """pyHanko's time-stamp client, pointed at this server's TSU without a network round trip."""

    def __init__(self, unit: TimeStampingUnit) -> None:
        super().__init__(include_nonce=True)
        self._unit = unit

    async def async_request_tsa_response(self, req: tsp.TimeStampReq) -> tsp.TimeStampResp:
        return self._unit.respond(req)
