"""PDF signatures per second: ``python -m bench.signing_pdf``.

PAdES B-T (pyHanko, ECDSA P-256, an RFC 3161 time stamp from the in-process TSU) and B-LT (the chain's
CRLs and the signer's OCSP response embedded) on a one-page PDF, per second on one core, as a ratio to
the bare ES256 signatures per second of ``cryptography`` in the same run. A B-T signature costs two
ES256 signatures (the signer's and the TSU's) plus pyHanko's PDF and CMS work; the ratio says how much
of a signature's time is the PDF, not the cryptography. Bounded: about 10 s in all.
"""

from __future__ import annotations

import datetime as dt
import json
import time
from collections.abc import Callable
from dataclasses import dataclass

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509 import ocsp
from fpdf import FPDF

from civicid.core.clock import FixedClock
from civicid.signing import pdf, profiles
from civicid.signing.ca import Hierarchy
from civicid.signing.tsa import InProcessTimeStamper, TimeStampingUnit


@dataclass(frozen=True)
class _Key:
    key_ref: str
    private: ec.EllipticCurvePrivateKey

    def public_key(self) -> ec.EllipticCurvePublicKey:
        return self.private.public_key()

    def sign(self, data: bytes) -> bytes:
        return self.private.sign(data, ec.ECDSA(hashes.SHA256()))


def rate(work: Callable[[], object], seconds: float, batch: int) -> float:
    done, start = 0, time.perf_counter()
    while time.perf_counter() - start < seconds:
        for _ in range(batch):
            work()
        done += batch
    return done / (time.perf_counter() - start)


def _crl(issuer: x509.Certificate, key: ec.EllipticCurvePrivateKey, now: dt.datetime) -> bytes:
    builder = (
        x509.CertificateRevocationListBuilder()
        .issuer_name(issuer.subject)
        .last_update(now)
        .next_update(now + dt.timedelta(days=1))
        .add_extension(x509.CRLNumber(1), critical=False)
    )
    return builder.sign(key, hashes.SHA256()).public_bytes(serialization.Encoding.DER)


def main() -> dict[str, object]:
    now = dt.datetime.now(dt.UTC)
    clock = FixedClock(now, zone=dt.UTC)
    links = profiles.Links("http://127.0.0.1:8000")
    root_key, ca_key, tsa_key, citizen_key = (ec.generate_private_key(ec.SECP256R1()) for _ in range(4))
    root = profiles.root_certificate(root_key, now)
    ca = profiles.citizen_ca_certificate(ca_key.public_key(), root, root_key, links, now)
    tsa = profiles.tsa_certificate(tsa_key.public_key(), root, root_key, links, now)
    hierarchy = Hierarchy(root, ca, tsa, root_key, ca_key, tsa_key)
    certificate = profiles.signature_certificate(
        key=citizen_key.public_key(), full_name="Lò Thị Mai", id_number="001190012345", ca=ca, ca_key=ca_key,
        links=links, now=now,
    )  # fmt: skip
    answer = (
        ocsp.OCSPResponseBuilder()
        .add_response(
            cert=certificate,
            issuer=ca,
            algorithm=hashes.SHA256(),
            cert_status=ocsp.OCSPCertStatus.GOOD,
            this_update=now,
            next_update=now + dt.timedelta(hours=1),
            revocation_time=None,
            revocation_reason=None,
        )
        .responder_id(ocsp.OCSPResponderEncoding.HASH, ca)
        .sign(ca_key, hashes.SHA256())
        .public_bytes(serialization.Encoding.DER)
    )
    trust = pdf.Trust(
        roots=[root], others=[ca, tsa], moment=now,
        revocation=pdf.Revocation(crls=[_crl(root, root_key, now), _crl(ca, ca_key, now)], ocsps=[answer]),
    )  # fmt: skip
    document = FPDF()
    document.add_page()
    document.set_font("helvetica", size=14)
    document.cell(text="Don de nghi xac nhan cu tru")
    source = bytes(document.output())
    keys = _Key("bench", citizen_key)
    stamper = InProcessTimeStamper(TimeStampingUnit(hierarchy, clock))

    def b_t() -> bytes:
        return pdf.sign_pdf(source, keys=keys, certificate=certificate, chain=[ca, root], timestamper=stamper)

    def b_lt() -> bytes:
        return pdf.sign_pdf(
            source, keys=keys, certificate=certificate, chain=[ca, root], timestamper=stamper, trust=trust
        )

    if not pdf.verify_pdf(b_lt(), trust=trust)[0].ok:  # what is measured must be a valid signature
        raise SystemExit("the benchmark's signature does not validate")
    data = b"x" * 200
    bare = rate(lambda: citizen_key.sign(data, ec.ECDSA(hashes.SHA256())), seconds=2, batch=50)
    bt = rate(b_t, seconds=4, batch=2)
    blt = rate(b_lt, seconds=4, batch=2)
    figures = {
        "es256_sign_per_s": round(bare),
        "pdf_b_t_per_s": round(bt, 1),
        "pdf_b_t_ratio_to_es256": round(bt / bare, 4),
        "pdf_b_lt_per_s": round(blt, 1),
        "pdf_b_lt_ratio_to_es256": round(blt / bare, 4),
        "pdf_bytes": len(source),
    }
    print(json.dumps(figures, indent=2))
    return figures


if __name__ == "__main__":
    main()
