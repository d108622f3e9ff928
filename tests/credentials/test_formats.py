"""The formats against independent implementations, and the verifier's refusals.

Every QR decodes with zxing-cpp from a PNG segno drew; COSE signatures verify with python-cwt using only
the key from the trust bundle; the e-ID profiles decode and verify with ``claim169``; Base45 agrees with
the ``base45`` package; a changed byte, a wrong key, an expired, revoked or unknown-issuer credential, a
replayed identity QR, a stale bundle and any garbage are refused, and nothing escapes the verifier.
"""

from __future__ import annotations

import datetime as dt
import io
import json
import zlib
from pathlib import Path

import base45
import claim169
import cwt
import pytest
import zxingcpp
from cryptography.hazmat.primitives import serialization
from hypothesis import given, settings
from hypothesis import strategies as st
from PIL import Image

from civicid.core.crypto import generate_signing_key
from civicid.credentials import issuing, qr, status_list, trust_bundle
from civicid.credentials.base45 import b45decode, b45encode
from civicid.credentials.profiles import Profile, QrCredential
from civicid.credentials.verifier import verify

VECTORS = Path(__file__).resolve().parents[1] / "vectors" / "qr-v1"
MANIFEST = json.loads((VECTORS / "vectors.json").read_text())
NOW = dt.datetime.fromtimestamp(MANIFEST["now"], dt.UTC)
BUNDLE = trust_bundle.load((VECTORS / "trust-bundle.jwt").read_text(), now=NOW)
VALID = [v for v in MANIFEST["vectors"] if v["valid"]]
ISSUER_KEY = serialization.load_pem_private_key((VECTORS / "issuer-test-key.pem").read_bytes(), password=None)


def _cose(text: str) -> bytes:
    return qr.decode_text(text)[0]


@pytest.mark.parametrize("vector", MANIFEST["vectors"], ids=lambda v: v["name"])
def test_every_vector_gets_its_verdict(vector: dict[str, object]) -> None:
    verdict = verify(str(vector["text"]), BUNDLE, now=NOW)
    assert (verdict.valid, verdict.reason) == (vector["valid"], vector["reason"])


@pytest.mark.parametrize("vector", VALID, ids=lambda v: v["name"])
def test_every_qr_fits_version_20_at_m_and_reads_back_from_a_png(vector: dict[str, str]) -> None:
    text = vector["text"]
    assert qr.version(text) <= qr.MAX_VERSION
    found = zxingcpp.read_barcodes(Image.open(io.BytesIO(qr.png(text, scale=3))))
    assert [f.text for f in found] == [text]
    assert verify(qr.png(text, scale=3), BUNDLE, now=NOW).valid


@pytest.mark.parametrize("vector", VALID, ids=lambda v: v["name"])
def test_python_cwt_verifies_with_the_key_from_the_trust_bundle_only(vector: dict[str, str]) -> None:
    (key,) = BUNDLE.keys.values()
    numbers = key.public_key.public_numbers()
    # RFC 9053 §7.1.1: an EC2 key (kty 2) on P-256 (crv 1), ES256 (alg -7), its kid as the bundle lists it.
    cose_key = cwt.COSEKey.new(
        {1: 2, 2: key.kid, 3: -7, -1: 1, -2: numbers.x.to_bytes(32, "big"), -3: numbers.y.to_bytes(32, "big")}
    )
    payload = cwt.COSE.new().decode(_cose(vector["text"]), cose_key)
    assert isinstance(payload, bytes)
    assert payload


@pytest.mark.parametrize("vector", [v for v in VALID if v["profile"] in ("eid", "eid-min")], ids=lambda v: v["name"])
def test_claim169_reads_and_verifies_the_e_id_as_mosip_verifiers_do(vector: dict[str, str]) -> None:
    (key,) = BUNDLE.keys.values()
    point = key.public_key.public_bytes(serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint)
    result = claim169.decode_with_ecdsa_p256(vector["text"], point, validate_timestamps=False)
    assert result.is_verified()
    assert result.claim169.full_name == "Lò Thị Mai"
    assert result.cwt_meta.issuer == "vn-civicid"


@given(st.binary(max_size=200))
def test_base45_agrees_with_the_base45_package(data: bytes) -> None:
    assert b45encode(data) == base45.b45encode(data).decode()
    assert b45decode(b45encode(data)) == data


def test_base45_rfc_9285_examples() -> None:
    assert b45encode(b"AB") == "BB8"
    assert b45encode(b"ietf!") == "QED8WEX0"
    for bad in ("GGW", "A", "ab", "ÀB8"):
        with pytest.raises(ValueError, match="Base45"):
            b45decode(bad)


def test_one_changed_byte_in_the_signed_bytes_is_a_bad_signature() -> None:
    cose = bytearray(_cose(VALID[0]["text"]))
    cose[-70] ^= 0x01  # inside the payload, before the signature
    tampered = qr.encode_text(bytes(cose), prefixed=False)
    assert verify(tampered, BUNDLE, now=NOW).reason in ("bad_signature", "unreadable")
    changed = VALID[0]["text"][:40] + ("A" if VALID[0]["text"][40] != "A" else "B") + VALID[0]["text"][41:]
    assert not verify(changed, BUNDLE, now=NOW).valid


def test_a_signature_by_a_key_under_a_known_kid_is_refused() -> None:
    impostor = generate_signing_key()
    (key,) = BUNDLE.keys.values()
    forged = issuing.SigningKey("vn-civicid", key.kid, impostor)
    credential = QrCredential(Profile.AGE_OVER_18, "vn-civicid", b"12345678", MANIFEST["now"], MANIFEST["now"] + 60)
    assert verify(issuing.sign_qr(credential, forged), BUNDLE, now=NOW).reason == "bad_signature"


def test_the_identity_qr_replayed_after_its_minute_is_expired() -> None:
    (eid,) = [v for v in VALID if v["name"] == "eid-valid"]
    later = NOW + dt.timedelta(seconds=50 + BUNDLE.rules.clock_skew + 1)
    assert verify(eid["text"], BUNDLE, now=later).reason == "expired"


def test_a_stale_bundle_vouches_for_nothing() -> None:
    later = dt.datetime.fromtimestamp(BUNDLE.expires_at + 1, dt.UTC)
    verdict = verify(VALID[0]["text"], BUNDLE, now=later)
    assert (verdict.valid, verdict.reason) == (False, "stale_bundle")


def test_a_bundle_signed_by_another_key_than_the_anchor_is_refused() -> None:
    with pytest.raises(trust_bundle.InvalidTrustBundle):
        trust_bundle.load(BUNDLE.text, anchors=["not-the-signer"], now=NOW)
    assert trust_bundle.load(BUNDLE.text, anchors=[BUNDLE.signer], now=NOW).signer == BUNDLE.signer
    parts = BUNDLE.text.split(".")
    with pytest.raises(trust_bundle.InvalidTrustBundle):
        trust_bundle.load(f"{parts[0]}.{parts[1]}x.{parts[2]}", now=NOW)


def test_status_lists_round_trip_in_both_forms_and_are_random_access() -> None:
    key = generate_signing_key()
    statuses = status_list.StatusList.of(1 << 12, {0: 1, 7: 2, 4095: 3})
    assert [statuses.status(i) for i in (0, 1, 7, 4095)] == [1, 0, 2, 3]
    jwt = status_list.sign_jwt(statuses, key, kid="k", uri="urn:x", now=NOW, lifetime=60)
    assert status_list.verify_jwt(jwt, key.public_key(), now=NOW).status_list == statuses
    token = status_list.sign_cwt(statuses, key, kid=b"k", uri="urn:x", now=NOW, lifetime=60)
    assert status_list.verify_cwt(token, key.public_key(), now=NOW).status_list.status(7) == 2
    with pytest.raises(status_list.InvalidStatusList):
        status_list.verify_cwt(token, key.public_key(), now=NOW + dt.timedelta(seconds=61))
    with pytest.raises(status_list.InvalidStatusList):
        status_list.verify_jwt(jwt, generate_signing_key().public_key(), now=NOW)


def test_a_zlib_bomb_is_unreadable_not_inflated() -> None:
    bomb = qr.PREFIX + b45encode(zlib.compress(bytes(10_000_000), 9))[:4000]
    assert verify(bomb, BUNDLE, now=NOW).reason == "unreadable"


@settings(max_examples=300, deadline=None)
@given(st.one_of(st.text(max_size=400), st.binary(max_size=400).map(lambda b: qr.PREFIX + b45encode(b))))
def test_no_input_makes_the_verifier_raise(text: str) -> None:
    verdict = verify(text, BUNDLE, now=NOW)
    assert not verdict.valid


@settings(max_examples=200, deadline=None)
@given(st.data())
def test_truncations_and_byte_flips_of_a_valid_qr_are_never_valid(data: st.DataObject) -> None:
    text = VALID[0]["text"]
    cut = data.draw(st.integers(0, len(text) - 1))
    assert not verify(text[:cut], BUNDLE, now=NOW).valid
    cose = bytearray(_cose(text))
    at = data.draw(st.integers(0, len(cose) - 1))
    cose[at] ^= data.draw(st.integers(1, 255))
    assert not verify(qr.encode_text(bytes(cose), prefixed=False), BUNDLE, now=NOW).valid


def test_an_image_without_a_qr_is_unreadable() -> None:
    out = io.BytesIO()
    Image.new("L", (64, 64), 255).save(out, "PNG")
    assert verify(out.getvalue(), BUNDLE, now=NOW).reason == "unreadable"
    assert verify(b"not an image", BUNDLE, now=NOW).reason == "unreadable"
    assert ISSUER_KEY is not None
