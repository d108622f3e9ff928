"""ES256 JWS and JWKs (core/crypto/signing.py), checked against plain ``cryptography`` as a second implementation."""

from __future__ import annotations

import base64
import hashlib
import json

import pytest
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature, encode_dss_signature

from civicid.core.crypto import (
    InvalidKey,
    InvalidSignature,
    generate_signing_key,
    jwk_thumbprint,
    jws_kid,
    load_public_jwk,
    public_jwk,
    sign_jws,
    verify_jws,
)

TYP = "civicid-test+jws"


def b64d(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def b64e(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


class TestSignAndVerify:
    def test_round_trip(self) -> None:
        key = generate_signing_key()
        token = sign_jws(b'{"a":1}', key, kid="kit-1", typ=TYP)
        content = verify_jws(token, key.public_key(), typ=TYP)
        assert content.payload == b'{"a":1}'
        assert content.header == {"alg": "ES256", "kid": "kit-1", "typ": TYP}

    def test_tampered_payload_rejected(self) -> None:
        key = generate_signing_key()
        header, _, signature = sign_jws(b'{"a":1}', key, kid="kit-1", typ=TYP).split(".")
        with pytest.raises(InvalidSignature):
            verify_jws(".".join([header, b64e(b'{"a":2}'), signature]), key.public_key(), typ=TYP)

    def test_wrong_key_rejected(self) -> None:
        token = sign_jws(b"x", generate_signing_key(), kid="kit-1", typ=TYP)
        with pytest.raises(InvalidSignature):
            verify_jws(token, generate_signing_key().public_key(), typ=TYP)

    def test_other_typ_rejected(self) -> None:
        key = generate_signing_key()
        token = sign_jws(b"x", key, kid="kit-1", typ="civicid-other+jws")
        with pytest.raises(InvalidSignature):
            verify_jws(token, key.public_key(), typ=TYP)

    def test_alg_none_rejected(self) -> None:
        key = generate_signing_key()
        header = b64e(json.dumps({"alg": "none", "kid": "kit-1", "typ": TYP}).encode())
        with pytest.raises(InvalidSignature):
            verify_jws(f"{header}.{b64e(b'x')}.", key.public_key(), typ=TYP)

    @pytest.mark.parametrize("token", ["", "a.b", "not a jws at all", "....", "é.é.é"])
    def test_garbage_rejected(self, token: str) -> None:
        with pytest.raises(InvalidSignature):
            verify_jws(token, generate_signing_key().public_key(), typ=TYP)


class TestIndependentImplementation:
    """RFC 7515 §5.2 and RFC 7518 §3.4 done by hand with ``cryptography``: no joserfc involved."""

    def test_joserfc_signature_verifies_with_plain_cryptography(self) -> None:
        key = generate_signing_key()
        token = sign_jws(b'{"hello":"world"}', key, kid="kit-1", typ=TYP)
        header_b64, payload_b64, signature_b64 = token.split(".")
        raw = b64d(signature_b64)
        assert len(raw) == 64  # r || s, 32 bytes each (RFC 7518 §3.4)
        der = encode_dss_signature(int.from_bytes(raw[:32], "big"), int.from_bytes(raw[32:], "big"))
        key.public_key().verify(der, f"{header_b64}.{payload_b64}".encode("ascii"), ec.ECDSA(hashes.SHA256()))
        assert json.loads(b64d(header_b64)) == {"alg": "ES256", "kid": "kit-1", "typ": TYP}
        assert b64d(payload_b64) == b'{"hello":"world"}'

    def test_plain_cryptography_signature_verifies_with_recipe(self) -> None:
        key = generate_signing_key()
        header_b64 = b64e(json.dumps({"alg": "ES256", "kid": "kit-9", "typ": TYP}).encode())
        payload_b64 = b64e(b"payload")
        der = key.sign(f"{header_b64}.{payload_b64}".encode("ascii"), ec.ECDSA(hashes.SHA256()))
        r, s = decode_dss_signature(der)
        token = f"{header_b64}.{payload_b64}.{b64e(r.to_bytes(32, 'big') + s.to_bytes(32, 'big'))}"
        assert verify_jws(token, key.public_key(), typ=TYP).payload == b"payload"


class TestKid:
    def test_reads_kid_without_verifying(self) -> None:
        assert jws_kid(sign_jws(b"x", generate_signing_key(), kid="kit-abc", typ=TYP)) == "kit-abc"

    @pytest.mark.parametrize("token", ["", "x.y.z", "é"])
    def test_garbage_has_no_kid(self, token: str) -> None:
        with pytest.raises(InvalidSignature):
            jws_kid(token)

    def test_header_without_kid(self) -> None:
        header = b64e(json.dumps({"alg": "ES256"}).encode())
        with pytest.raises(InvalidSignature):
            jws_kid(f"{header}.{b64e(b'x')}.{b64e(b'sig')}")


class TestJwk:
    def test_round_trip(self) -> None:
        key = generate_signing_key()
        jwk = public_jwk(key)
        assert set(jwk) == {"kty", "crv", "x", "y"}
        assert load_public_jwk(jwk).public_numbers() == key.public_key().public_numbers()

    def test_thumbprint_rfc7638_shape(self) -> None:
        key = generate_signing_key()
        jwk = public_jwk(key)
        expected = f'{{"crv":"P-256","kty":"EC","x":"{jwk["x"]}","y":"{jwk["y"]}"}}'
        assert jwk_thumbprint(key) == b64e(hashlib.sha256(expected.encode()).digest())

    @pytest.mark.parametrize(
        "change",
        [
            {"kty": "RSA"},
            {"crv": "P-384"},
            {"x": "AAAA"},
            {"y": "not base64!"},
            {"d": "c2VjcmV0"},
        ],
    )
    def test_bad_jwk_rejected(self, change: dict[str, str]) -> None:
        with pytest.raises(InvalidKey):
            load_public_jwk({**public_jwk(generate_signing_key()), **change})

    def test_point_off_the_curve_rejected(self) -> None:
        jwk = public_jwk(generate_signing_key())
        y = bytearray(b64d(jwk["y"]))
        y[-1] ^= 1
        with pytest.raises(InvalidKey):
            load_public_jwk({**jwk, "y": b64e(bytes(y))})
