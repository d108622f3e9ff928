"""Content-addressed blobs (core/blobs.py): named by their hash, written once, whole or not at all."""

from __future__ import annotations

import hashlib
import os
import threading
from pathlib import Path

import pytest

from civicid.core import blobs
from civicid.core.blobs import BlobMissing, BlobStore


def test_a_blob_is_named_by_its_sha256_and_reads_back(tmp_path: Path) -> None:
    store = BlobStore(tmp_path)
    name = store.put(b"sealed bytes")
    assert name == hashlib.sha256(b"sealed bytes").hexdigest()
    assert store.get(name) == b"sealed bytes"
    assert store.exists(name)
    assert store.put(b"sealed bytes") == name  # the same bytes again: the same blob
    assert [p.name for p in (tmp_path / name[:2] / name[2:4]).iterdir()] == [name]  # no temporary left


def test_a_missing_blob_is_reported(tmp_path: Path) -> None:
    with pytest.raises(BlobMissing):
        BlobStore(tmp_path).get("0" * 64)


def test_a_short_blob_is_written_again(tmp_path: Path) -> None:
    store = BlobStore(tmp_path)
    name = store.put(b"whole")
    Path(store._file(name)).write_bytes(b"wh")  # as a power cut before its fsync could leave it
    assert store.put(b"whole") == name
    assert store.get(name) == b"whole"


def test_a_temporary_name_left_by_a_crashed_process_is_skipped(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    store = BlobStore(tmp_path)
    data = b"after a crash"
    folder = Path(store._file(hashlib.sha256(data).hexdigest())).parent
    folder.mkdir(parents=True)
    counter = iter(range(10))
    monkeypatch.setattr(blobs, "_TEMPORARY", counter)
    (folder / f".incoming-{os.getpid()}-{threading.get_ident()}-0").write_bytes(b"stale")
    assert store.get(store.put(data)) == data


def test_a_folder_removed_behind_the_store_is_made_again(tmp_path: Path) -> None:
    store = BlobStore(tmp_path)
    first = store.put(b"one")
    Path(store._file(first)).unlink()
    Path(store._file(first)).parent.rmdir()
    assert store.get(store.put(b"one")) == b"one"
