"""Sealing to an X25519 key (core/crypto/sealing.py) and wrapping keys at rest (core/crypto/keys.py)."""

from __future__ import annotations

import base64
import hashlib

import pytest
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey, X25519PublicKey
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from civicid.core.crypto import (
    SEAL_OVERHEAD,
    InvalidKey,
    InvalidSeal,
    InvalidWrappedKey,
    decode_master_key,
    encode_master_key,
    generate_master_key,
    generate_sealing_key,
    generate_signing_key,
    seal,
    sealing_key_id,
    unseal,
    unwrap_private_key,
    wrap_private_key,
)


def raw(key: X25519PublicKey) -> bytes:
    return key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)


class TestSeal:
    def test_round_trip(self) -> None:
        key = generate_sealing_key()
        sealed = seal(b"template bytes", recipient=key.public_key(), aad=b"ctx")
        assert unseal(sealed, recipient_key=key, aad=b"ctx") == b"template bytes"

    def test_layout(self) -> None:
        sealed = seal(b"abc", recipient=generate_sealing_key().public_key(), aad=b"")
        assert sealed[0] == 0x01
        assert len(sealed) == 3 + SEAL_OVERHEAD == 1 + 32 + 12 + 3 + 16

    def test_empty_plaintext(self) -> None:
        key = generate_sealing_key()
        assert unseal(seal(b"", recipient=key.public_key(), aad=b"a"), recipient_key=key, aad=b"a") == b""

    def test_each_seal_differs(self) -> None:
        recipient = generate_sealing_key().public_key()
        assert seal(b"x", recipient=recipient, aad=b"") != seal(b"x", recipient=recipient, aad=b"")

    def test_layout_opens_with_an_independent_derivation(self) -> None:
        """The documented construction, done by hand: X25519 → HKDF-SHA256 → AES-256-GCM."""
        key = generate_sealing_key()
        sealed = seal(b"hello", recipient=key.public_key(), aad=b"aad")
        ephemeral, nonce, body = sealed[1:33], sealed[33:45], sealed[45:]
        shared = key.exchange(X25519PublicKey.from_public_bytes(ephemeral))
        hkdf = HKDF(hashes.SHA256(), 32, salt=ephemeral + raw(key.public_key()), info=b"civicid-seal/1")
        assert AESGCM(hkdf.derive(shared)).decrypt(nonce, body, b"aad") == b"hello"


class TestUnsealFailures:
    """Every way of failing gives the same opaque error."""

    @pytest.fixture
    def key(self) -> X25519PrivateKey:
        return generate_sealing_key()

    @pytest.fixture
    def sealed(self, key: X25519PrivateKey) -> bytes:
        return seal(b"secret biometric", recipient=key.public_key(), aad=b"right")

    def test_wrong_key(self, sealed: bytes) -> None:
        with pytest.raises(InvalidSeal):
            unseal(sealed, recipient_key=generate_sealing_key(), aad=b"right")

    def test_wrong_aad(self, key: X25519PrivateKey, sealed: bytes) -> None:
        with pytest.raises(InvalidSeal):
            unseal(sealed, recipient_key=key, aad=b"wrong")

    @pytest.mark.parametrize("position", [1, 20, 33, 44, 45, -1])
    def test_tampered(self, key: X25519PrivateKey, sealed: bytes, position: int) -> None:
        altered = bytearray(sealed)
        altered[position] ^= 0x01
        with pytest.raises(InvalidSeal):
            unseal(bytes(altered), recipient_key=key, aad=b"right")

    @pytest.mark.parametrize("version", [0x00, 0x02, 0xFF])
    def test_unknown_version(self, key: X25519PrivateKey, sealed: bytes, version: int) -> None:
        with pytest.raises(InvalidSeal):
            unseal(bytes([version]) + sealed[1:], recipient_key=key, aad=b"right")

    @pytest.mark.parametrize("length", [0, 1, 33, 45, SEAL_OVERHEAD - 1])
    def test_truncated(self, key: X25519PrivateKey, sealed: bytes, length: int) -> None:
        with pytest.raises(InvalidSeal):
            unseal(sealed[:length], recipient_key=key, aad=b"right")

    def test_low_order_ephemeral_key(self, key: X25519PrivateKey, sealed: bytes) -> None:
        # The all-zero u-coordinate gives the all-zero shared secret (RFC 7748 §6.1).
        with pytest.raises(InvalidSeal):
            unseal(sealed[:1] + bytes(32) + sealed[33:], recipient_key=key, aad=b"right")

    def test_low_order_recipient(self) -> None:
        with pytest.raises(InvalidSeal):
            seal(b"x", recipient=X25519PublicKey.from_public_bytes(bytes(32)), aad=b"")


class TestSealingKeyId:
    def test_is_rfc7638_thumbprint_of_okp_jwk(self) -> None:
        public = generate_sealing_key().public_key()
        x = base64.urlsafe_b64encode(raw(public)).rstrip(b"=").decode()
        canonical = f'{{"crv":"X25519","kty":"OKP","x":"{x}"}}'.encode()
        expected = base64.urlsafe_b64encode(hashlib.sha256(canonical).digest()).rstrip(b"=").decode()
        assert sealing_key_id(public) == expected


class TestKeyWrap:
    def test_round_trip(self) -> None:
        master, key = generate_master_key(), generate_sealing_key()
        wrapped = wrap_private_key(key, master_key=master, name="sealing")
        unwrapped = unwrap_private_key(wrapped, master_key=master, name="sealing")
        assert isinstance(unwrapped, X25519PrivateKey)
        assert raw(unwrapped.public_key()) == raw(key.public_key())

    def test_ec_key_round_trip(self) -> None:
        master, key = generate_master_key(), generate_signing_key()
        wrapped = wrap_private_key(key, master_key=master, name="signing")
        assert unwrap_private_key(wrapped, master_key=master, name="signing").public_key() == key.public_key()

    def test_wrong_master_key(self) -> None:
        wrapped = wrap_private_key(generate_sealing_key(), master_key=generate_master_key(), name="k")
        with pytest.raises(InvalidWrappedKey):
            unwrap_private_key(wrapped, master_key=generate_master_key(), name="k")

    def test_wrong_name(self) -> None:
        master = generate_master_key()
        wrapped = wrap_private_key(generate_sealing_key(), master_key=master, name="k")
        with pytest.raises(InvalidWrappedKey):
            unwrap_private_key(wrapped, master_key=master, name="other")

    @pytest.mark.parametrize("wrapped", [b"", b"\x01", b"\x02" + bytes(60)])
    def test_malformed(self, wrapped: bytes) -> None:
        with pytest.raises(InvalidWrappedKey):
            unwrap_private_key(wrapped, master_key=generate_master_key(), name="k")

    def test_master_key_text_round_trip(self) -> None:
        master = generate_master_key()
        assert decode_master_key(encode_master_key(master) + "\n") == master

    @pytest.mark.parametrize("text", ["", "short", "A" * 44, "!" * 43])
    def test_bad_master_key_text(self, text: str) -> None:
        with pytest.raises(InvalidKey):
            decode_master_key(text)
