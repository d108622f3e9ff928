"""Make the qr-v1 test vectors: ``.venv/bin/python tests/vectors/qr-v1/make_vectors.py`` (see README.md).

Keys are fixed test keys (``issuer-test-key.pem``, ``trust-test-key.pem``, made once with
``cryptography``'s ``generate_private_key(SECP256R1())``); ECDSA signatures are randomised, so a
new run writes other bytes with the same verdicts.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from civicid.credentials import issuing, status_list, trust_bundle
from civicid.credentials.claim169 import FIELDS, Identity, claim_169
from civicid.credentials.profiles import Profile, QrCredential

HERE = Path(__file__).resolve().parent
NOW = dt.datetime(2026, 12, 8, 2, 0, tzinfo=dt.UTC)  # the instant every vector is verified at
ISSUER = "vn-civicid"
URI = "urn:civicid:sl:1"
PHOTO = bytes.fromhex("52494646") + bytes(range(60))  # not a real WebP: the bytes only travel


def key(name: str) -> ec.EllipticCurvePrivateKey:
    path = HERE / name
    if not path.exists():
        fresh = ec.generate_private_key(ec.SECP256R1())
        pem = fresh.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
        path.write_bytes(pem)
    loaded = serialization.load_pem_private_key(path.read_bytes(), password=None)
    assert isinstance(loaded, ec.EllipticCurvePrivateKey)
    return loaded


def main() -> None:
    issuer, trust, other = (
        key("issuer-test-key.pem"),
        key("trust-test-key.pem"),
        ec.generate_private_key(ec.SECP256R1()),
    )
    signer = issuing.SigningKey(ISSUER, issuing.key_id(issuer), issuer)
    stranger = issuing.SigningKey(ISSUER, issuing.key_id(other), other)
    iat = int(NOW.timestamp())
    mai = Identity("001190012345", "Lò Thị Mai", dt.date(1990, 5, 12), "female", PHOTO)
    cases: list[tuple[str, QrCredential, issuing.SigningKey, bool, str | None]] = []

    def add(name: str, signed_by: issuing.SigningKey = signer, reason: str | None = None, **changes: object) -> None:
        fields: dict[str, object] = {
            "profile": Profile.EID, "issuer": ISSUER, "credential_id": name.encode()[:8].ljust(8, b"0"),
            "issued_at": iat - 10, "expires_at": iat + 50,
            "identity": claim_169(mai, FIELDS), "level": 2, "card_expiry": "2035-05-12", "device": bytes(32),
        }  # fmt: skip
        fields.update(changes)
        cases.append((name, QrCredential(**fields), signed_by, reason is None, reason))  # type: ignore[arg-type]

    add("eid-valid")
    add("eid-name-only", identity=claim_169(mai, ["full_name"]))
    add("eid-expired", reason="expired", issued_at=iat - 200, expires_at=iat - 140)
    add("eid-unknown-issuer", signed_by=stranger, reason="unknown_issuer")
    paper = {"profile": Profile.EID_MIN, "identity": claim_169(mai, ["id_number", "full_name", "date_of_birth", "sex"]),
             "device": None, "expires_at": iat + 86400 * 365}  # fmt: skip
    add("eid-min-valid", status=status_list.StatusReference(3, URI), **paper)
    add("eid-min-revoked", reason="revoked", status=status_list.StatusReference(5, URI), **paper)
    add("eid-min-suspended", reason="suspended", status=status_list.StatusReference(9, URI), **paper)
    add(
        "eid-min-unknown-list",
        reason="status_unknown",
        status=status_list.StatusReference(1, "urn:civicid:sl:9"),
        **paper,
    )
    add("age-over-18", profile=Profile.AGE_OVER_18, identity=None, device=None, level=None, card_expiry=None,
        claims={"age_over_18": True})  # fmt: skip
    licence = {"number": "019123450001", "classes": ["A1", "B"], "valid_until": "2030-01-01"}
    add("driving-licence", profile=Profile.DRIVING_LICENCE, identity={4: "Lò Thị Mai"}, device=None, level=None,
        card_expiry=None, claims=licence)  # fmt: skip
    statuses = status_list.StatusList.of(1 << 10, {5: status_list.Status.INVALID, 9: status_list.Status.SUSPENDED})
    token = status_list.sign_jwt(statuses, issuer, kid=signer.kid_text, uri=URI, now=NOW - dt.timedelta(hours=2),
                                 lifetime=7 * 86400)  # fmt: skip
    published = trust_bundle.IssuerKey(ISSUER, signer.kid, issuer.public_key(), iat - 86400, None, None)
    bundle = trust_bundle.sign(
        key=trust, now=NOW - dt.timedelta(hours=2), next_update=dt.timedelta(days=1), lifetime=dt.timedelta(days=7),
        issuers={ISSUER: [published]}, status_lists={ISSUER: [token]}, rules=trust_bundle.Rules(),
    )  # fmt: skip
    (HERE / "trust-bundle.jwt").write_text(bundle + "\n")
    vectors = []
    for name, credential, signed_by, valid, reason in cases:
        text = issuing.sign_qr(credential, signed_by)
        vectors.append(
            {"name": name, "text": text, "valid": valid, "reason": reason, "profile": credential.profile.value}
        )
    tampered = vectors[0]["text"]
    vectors.append(
        {"name": "garbage", "text": "NOT A CREDENTIAL", "valid": False, "reason": "unreadable", "profile": None}
    )
    vectors.append({"name": "truncated", "text": tampered[: len(tampered) // 2], "valid": False, "reason": "unreadable",
                    "profile": None})  # fmt: skip
    manifest = {"format": "qr-v1", "now": int(NOW.timestamp()), "trust_bundle": "trust-bundle.jwt", "vectors": vectors}
    (HERE / "vectors.json").write_text(json.dumps(manifest, indent=2, ensure_ascii=False) + "\n")


if __name__ == "__main__":
    main()
