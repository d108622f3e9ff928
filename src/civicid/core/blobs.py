"""Content-addressed blob files (DESIGN.md decision 1): sealed parts and their upload chunks.

A blob is named by the SHA-256 of its bytes and written atomically (a temporary file, then a
rename), so writing the same bytes twice is harmless and a crash never leaves half a blob under a
real name. Rows in the database refer to blobs by hash; a blob whose row was rolled back is an
orphan, never a corruption, and is removed by a later sweep.

A blob written for a database transaction (``put(data, session=…)``) is fsynced when that
transaction commits, just before it, together with the transaction's other blobs and in parallel:
the journal commits of concurrent fsyncs coalesce, so three small parts cost about one fsync, not
three (docs/decisions/0021-blob-fsync-at-commit.md). No row that names a blob commits before the
blob is on disk.
"""

from __future__ import annotations

import hashlib
import itertools
import os
import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from sqlalchemy import event
from sqlalchemy.orm import Session

from civicid.core.errors import NotFound

_UNSYNCED = "civicid.unsynced_blobs"
_LISTENING = "civicid.blob_sync_listening"
# fsync waits on the disk, not the CPU: a few threads let a transaction's fsyncs share journal commits.
_SYNCERS = ThreadPoolExecutor(max_workers=8, thread_name_prefix="blob-fsync")


class BlobMissing(NotFound):
    code = "blob_missing"
    title = "A stored blob is missing"


class BlobStore:
    def __init__(self, root: Path) -> None:
        self.root = root
        self._base = str(root)
        # Folders this store has made or found: intake writes three blobs per packet, and a mkdir
        # per blob cost more than the write. A folder removed behind the store's back is made again.
        self._folders: set[str] = set()

    def _path(self, digest: str) -> Path:
        return Path(self._file(digest))

    def _file(self, digest: str) -> str:
        return f"{self._base}/{digest[:2]}/{digest[2:4]}/{digest}"

    def put(self, data: bytes, *, session: Session | None = None) -> str:
        """Store ``data``; returns its SHA-256 in hex, the blob's name.

        With ``session``, the fsync waits until that session's transaction commits (and runs just
        before it, with the transaction's other blobs); without, it happens now.
        """
        digest = hashlib.sha256(data).hexdigest()
        path = self._file(digest)
        if _whole(path, len(data)):
            return digest
        folder = path.rsplit("/", 1)[0]
        if folder not in self._folders:
            os.makedirs(folder, exist_ok=True)
            self._folders.add(folder)
        try:
            fd, temporary = _create_temporary(folder)
        except FileNotFoundError:
            os.makedirs(folder, exist_ok=True)
            fd, temporary = _create_temporary(folder)
        try:
            try:
                _write_all(fd, data)
                if session is None:
                    os.fsync(fd)
            finally:
                os.close(fd)
            os.replace(temporary, path)
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise
        if session is not None:
            _sync_at_commit(session, path)
        return digest

    def get(self, digest: str) -> bytes:
        try:
            with open(self._file(digest), "rb") as blob:
                return blob.read()
        except FileNotFoundError as exc:
            raise BlobMissing(f"blob {digest[:12]}… is not in the store") from exc

    def exists(self, digest: str) -> bool:
        return os.path.exists(self._file(digest))


_TEMPORARY = itertools.count()


def _create_temporary(folder: str) -> tuple[int, str]:
    """A new file only this call opened (``O_EXCL``): named by process, thread and a counter.

    ``tempfile.mkstemp`` draws random names for the same guarantee, at several times the cost. A
    name left behind by a crashed process that had the same id is skipped, as mkstemp skips a taken
    name.
    """
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_CLOEXEC", 0)
    for _ in range(100):
        name = f"{folder}/.incoming-{os.getpid()}-{threading.get_ident()}-{next(_TEMPORARY)}"
        try:
            return os.open(name, flags, 0o600), name
        except FileExistsError:
            continue
    raise FileExistsError(f"no free temporary name in {folder}")


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view) :]


def _whole(path: str, size: int) -> bool:
    """The blob is there with its full size (a blob whose fsync a power cut prevented may be short)."""
    try:
        return os.stat(path).st_size == size
    except FileNotFoundError:
        return False


def _sync_at_commit(session: Session, path: str) -> None:
    if not session.info.get(_LISTENING):
        # Listeners stay for the session's life (one cannot be removed while its event runs).
        event.listen(session, "before_commit", _sync_all)
        event.listen(session, "after_soft_rollback", _forget)
        session.info[_LISTENING] = True
    session.info.setdefault(_UNSYNCED, []).append(path)


def _sync_all(session: Session) -> None:
    """fsync every blob the transaction wrote, concurrently, before the rows naming them commit."""
    paths = session.info.pop(_UNSYNCED, [])
    for future in [_SYNCERS.submit(_fsync, path) for path in paths]:
        future.result()


def _forget(session: Session, _previous: object) -> None:
    session.info.pop(_UNSYNCED, None)


def _fsync(path: str) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
