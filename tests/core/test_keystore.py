"""The server's keystore in the data folder (core/keystore.py)."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization

from civicid.core.crypto import encode_master_key, generate_master_key, seal, unseal, wrap_private_key
from civicid.core.keystore import (
    MASTER_KEY_FILE,
    FileKeystore,
    KeyStore,
    Keystore,
    KeystoreUnavailable,
    master_key_from_environment,
)


def private_bytes(keystore: FileKeystore) -> bytes:
    return keystore.sealing_private_key().private_bytes(
        serialization.Encoding.Raw, serialization.PrivateFormat.Raw, serialization.NoEncryption()
    )


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


class TestSealingKey:
    def test_created_on_first_use_and_persists(self, tmp_path: Path) -> None:
        master = generate_master_key()
        first = Keystore.open(tmp_path, master)
        key_id = first.sealing_key_id()
        again = Keystore.open(tmp_path, master)
        assert again.sealing_key_id() == key_id
        assert private_bytes(again) == private_bytes(first)

    def test_reopened_store_opens_what_was_sealed_to_it(self, tmp_path: Path) -> None:
        master = generate_master_key()
        sealed = seal(b"part", recipient=Keystore.open(tmp_path, master).sealing_public_key(), aad=b"a")
        reopened = Keystore.open(tmp_path, master)
        assert unseal(sealed, recipient_key=reopened.sealing_key(), aad=b"a") == b"part"

    def test_not_in_clear_on_disk(self, tmp_path: Path) -> None:
        keystore = Keystore.open(tmp_path, generate_master_key())
        secret = private_bytes(keystore)
        der = keystore.sealing_private_key().private_bytes(
            serialization.Encoding.DER, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
        files = [p for p in tmp_path.rglob("*") if p.is_file()]
        assert files
        for path in files:
            content = path.read_bytes()
            assert secret not in content
            assert der not in content

    def test_key_file_mode_0600(self, tmp_path: Path) -> None:
        Keystore.open(tmp_path, generate_master_key()).sealing_public_key()
        key_files = list((tmp_path / "keys").iterdir())
        assert [p.name for p in key_files] == ["sealing-x25519.key"]  # no temporary file left behind
        assert mode(key_files[0]) == 0o600

    def test_other_master_key_refused(self, tmp_path: Path) -> None:
        Keystore.open(tmp_path, generate_master_key()).sealing_public_key()
        with pytest.raises(KeystoreUnavailable):
            Keystore.open(tmp_path, generate_master_key()).sealing_public_key()

    def test_satisfies_the_port(self, tmp_path: Path) -> None:
        port: KeyStore = Keystore.open(tmp_path, generate_master_key())
        assert len(port.sealing_key_id()) == 43


class TestAuditKey:
    def test_created_once_wrapped_and_apart_from_the_other_keys(self, tmp_path: Path) -> None:
        master = generate_master_key()
        key = Keystore.open(tmp_path, master).audit_signing_key()
        again = Keystore.open(tmp_path, master).audit_signing_key()
        assert again.private_numbers() == key.private_numbers()
        assert Keystore.open(tmp_path, master).device_signing_key().private_numbers() != key.private_numbers()
        path = tmp_path / "keys" / "audit-es256.key"
        assert mode(path) == 0o600
        der = key.private_bytes(
            serialization.Encoding.DER, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
        assert der not in path.read_bytes()

    def test_a_key_file_of_another_kind_is_refused(self, tmp_path: Path) -> None:
        master = generate_master_key()
        keystore = Keystore.open(tmp_path, master)
        wrapped = wrap_private_key(keystore.sealing_private_key(), master_key=master, name="audit-es256")
        (tmp_path / "keys" / "audit-es256.key").write_bytes(wrapped)
        with pytest.raises(KeystoreUnavailable, match="does not hold a P-256 key"):
            keystore.audit_signing_key()


class TestDerivedKeys:
    def test_the_portrait_key_follows_the_master_key_and_is_not_the_template_key(self, tmp_path: Path) -> None:
        master = generate_master_key()
        port: KeyStore = Keystore.open(tmp_path, master)
        portrait = port.portrait_key()
        assert len(portrait) == 32
        assert portrait == Keystore.open(tmp_path, master).portrait_key()  # derived, nothing stored
        assert portrait != port.template_key()
        assert portrait != Keystore.open(tmp_path / "other", generate_master_key()).portrait_key()


class TestMasterKey:
    def test_generated_once_with_mode_0600(self, tmp_path: Path) -> None:
        first = Keystore.open(tmp_path)
        path = tmp_path / MASTER_KEY_FILE
        assert mode(path) == 0o600
        content = path.read_bytes()
        key_id = first.sealing_key_id()
        assert Keystore.open(tmp_path).sealing_key_id() == key_id
        assert path.read_bytes() == content

    def test_malformed_master_key_file(self, tmp_path: Path) -> None:
        (tmp_path / MASTER_KEY_FILE).write_text("not a key")
        with pytest.raises(KeystoreUnavailable):
            Keystore.open(tmp_path)

    def test_wrong_length_refused(self, tmp_path: Path) -> None:
        with pytest.raises(KeystoreUnavailable):
            Keystore.open(tmp_path, b"short")

    def test_from_environment(self) -> None:
        master = generate_master_key()
        assert master_key_from_environment({"CIVICID_MASTER_KEY": encode_master_key(master)}) == master
        assert master_key_from_environment({}) is None
        with pytest.raises(KeystoreUnavailable):
            master_key_from_environment({"CIVICID_MASTER_KEY": "nope"})
