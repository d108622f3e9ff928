"""Offline verification rates: ``python -m bench.credentials_verify``.

- qr-v1: decode the text and verify (``verifier.verify``), per second on one core, as a ratio to the bare
  ES256 verifications per second of ``cryptography`` in the same run (target ≥ 0.5).
- SD-JWT VC with key binding: ours against the reference implementation (``sd-jwt``) in the same run
  (target ≥ 2×).
- The QR version at M of each profile's test vector (target ≤ 20).
"""

from __future__ import annotations

import datetime as dt
import json
import statistics
import time
from collections.abc import Callable
from pathlib import Path

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from jwcrypto.jwk import JWK
from sd_jwt.verifier import SDJWTVerifier

from civicid.core.crypto import generate_signing_key, public_jwk
from civicid.credentials import issuing, qr, sd_jwt_vc, trust_bundle
from civicid.credentials.verifier import verify

VECTORS = Path(__file__).resolve().parents[1] / "tests" / "vectors" / "qr-v1"


def rate(work: Callable[[], object], seconds: float = 0.3) -> float:
    done, start = 0, time.perf_counter()
    while time.perf_counter() - start < seconds:
        for _ in range(50):
            work()
        done += 50
    return done / (time.perf_counter() - start)


def side_by_side(ours: Callable[[], object], baseline: Callable[[], object], rounds: int = 9) -> tuple[float, float]:
    """Both rates, measured in alternating short rounds so that a busy machine slows both alike;
    the medians of each (per second)."""
    mine, theirs = [], []
    for _ in range(rounds):
        mine.append(rate(ours))
        theirs.append(rate(baseline))
    return statistics.median(mine), statistics.median(theirs)


def main() -> dict[str, object]:
    manifest = json.loads((VECTORS / "vectors.json").read_text())
    now = dt.datetime.fromtimestamp(manifest["now"], dt.UTC)
    bundle = trust_bundle.load((VECTORS / "trust-bundle.jwt").read_text(), now=now)
    (eid,) = [v["text"] for v in manifest["vectors"] if v["name"] == "eid-valid"]
    key = generate_signing_key()
    data = b"x" * 400
    signature = key.sign(data, ec.ECDSA(hashes.SHA256()))
    public = key.public_key()
    ours_qr, bare = side_by_side(
        lambda: verify(eid, bundle, now=now), lambda: public.verify(signature, data, ec.ECDSA(hashes.SHA256()))
    )
    issuer, holder = generate_signing_key(), generate_signing_key()
    signer = issuing.SigningKey("vn-civicid", issuing.key_id(issuer), issuer)
    claims = {"full_name": "Lò Thị Mai", "birthdate": "1990-05-12", "age_over_18": True}
    token = sd_jwt_vc.issue(signer=signer, vct="urn:vn:civicid:eid:1", claims=claims, holder_key=holder.public_key(),
                            now=now, lifetime=dt.timedelta(days=30))  # fmt: skip
    presentation = sd_jwt_vc.present(
        token, disclose=["age_over_18"], holder_key=holder, nonce="n", audience="a", now=now
    )
    issuer_jwk = JWK.from_json(json.dumps(public_jwk(issuer)))

    def ours() -> object:
        return sd_jwt_vc.verify(presentation, issuer_key=lambda kid: ("vn-civicid", issuer.public_key()), now=now,
                                nonce="n", audience="a", require_key_binding=True)  # fmt: skip

    def reference() -> object:
        return SDJWTVerifier(presentation, lambda i, h: issuer_jwk, expected_aud="a", expected_nonce="n")

    ours_sd, reference_sd = side_by_side(ours, reference)
    versions = {v["name"]: qr.version(v["text"]) for v in manifest["vectors"] if v["valid"]}
    figures = {
        "es256_verify_per_s": round(bare),
        "qr_verify_per_s": round(ours_qr),
        "qr_ratio_to_es256": round(ours_qr / bare, 2),
        "sd_jwt_ours_per_s": round(ours_sd),
        "sd_jwt_reference_per_s": round(reference_sd),
        "sd_jwt_ratio": round(ours_sd / reference_sd, 2),
        "qr_versions_at_m": versions,
    }
    print(json.dumps(figures, indent=2))
    return figures


if __name__ == "__main__":
    main()
