"""Content-addressed blob files (DESIGN.md decision 1): sealed parts and their upload chunks.

A blob is named by the SHA-256 of its bytes and written atomically (a temporary file, then a
rename), so writing the same bytes twice is harmless and a crash never leaves half a blob under a
real name. Rows in the database refer to blobs by hash; a blob whose row was rolled back is an
orphan, never a corruption, and is removed by a later sweep.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from pathlib import Path

from civicid.core.errors import NotFound


class BlobMissing(NotFound):
    code = "blob_missing"
    title = "A stored blob is missing"


class BlobStore:
    def __init__(self, root: Path) -> None:
        self.root = root

    def _path(self, digest: str) -> Path:
        return self.root / digest[:2] / digest[2:4] / digest

    def put(self, data: bytes) -> str:
        """Store ``data``; returns its SHA-256 in hex, the blob's name."""
        digest = hashlib.sha256(data).hexdigest()
        path = self._path(digest)
        if path.exists():
            return digest
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, temporary = tempfile.mkstemp(dir=path.parent, prefix=".incoming-")
        try:
            with os.fdopen(fd, "wb") as out:
                out.write(data)
                out.flush()
                os.fsync(out.fileno())
            os.replace(temporary, path)
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise
        return digest

    def get(self, digest: str) -> bytes:
        try:
            return self._path(digest).read_bytes()
        except FileNotFoundError as exc:
            raise BlobMissing(f"blob {digest[:12]}… is not in the store") from exc

    def exists(self, digest: str) -> bool:
        return self._path(digest).exists()
