"""A field kit's data folder: its database, its device key and its sealed parts.

Layout::

    kit.db                       the kit's database (``models.py``), SQLCipher: encrypted at rest
    unlock.json                  the store key, wrapped once per operator (``unlock.py``)
    keys/                        the device's ES256 key, wrapped under a key derived from the store key
    sealed/<application id>/     one file per sealed part, named by the part (sealed to the server)

Nothing in the folder opens without an operator's password: the store key that encrypts the database
and wraps the device key exists in clear only in the memory of a process an operator unlocked
(decision 0068). There is no ``master.key`` beside the keys.

A sealed part is written to a temporary file, flushed to disk and renamed into place before the
database transaction that records the capture commits; "saved" is shown only after that commit. A
crash in between leaves a file no row names, which :meth:`Kit.sweep_orphans` removes; never a row
without its file. The other way round, a part's file goes only *after* the transaction that says
the server holds it has committed (:meth:`Kit.remove_sealed_after_commit`): a sync killed in between
leaves a file the sweep removes, never a row that points at a file already gone.
"""

from __future__ import annotations

import base64
import os
import shutil
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ec import EllipticCurvePrivateKey
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PublicKey
from sqlalchemy import event, select
from sqlalchemy.orm import Session, sessionmaker

from civicid.core.database import make_encrypted_sqlite_engine, make_session_factory, unit_of_work
from civicid.core.keystore import KEYS_DIR, FileKeystore, fsync_dir
from civicid.field import unlock
from civicid.field.errors import KitAlreadyInitialised, KitNotInitialised
from civicid.field.models import KIT_SCHEMA_VERSION, KitBase, KitIdentity, OutboxItem, OutboxPart, OutboxState
from civicid.field.outbox import keeps_parts
from civicid.field.unlock import KitLogin

DATABASE_FILE = "kit.db"
SEALED_DIR = "sealed"
# A folder no row names yet may be a capture being saved right now (its files are written before
# its row commits): the sweep leaves folders younger than this alone.
ORPHAN_GRACE_S = 15 * 60
# The first 16 bytes of an SQLite file in clear: a kit of schema version 1, before encryption at rest.
_PLAIN_SQLITE = b"SQLite format 3\x00"


class SealedPartMissing(LookupError):
    """A part the kit's database still lists has no sealed file on disk (the kit's own state is off)."""


@dataclass
class Kit:
    """An opened kit folder. Sessions come from :meth:`transaction`; the caller owns each one."""

    root: Path
    sessions: sessionmaker[Session]
    keystore: FileKeystore
    _store_key: bytes = field(repr=False)

    @classmethod
    def open(cls, root: Path, login: KitLogin) -> Kit:
        """The kit in ``root``, unlocked by an operator's ``login``.

        Raises :class:`KitNotInitialised` if there is none (or one this CivicID cannot read), and
        :class:`~civicid.field.errors.OperatorLoginFailed` for a wrong user name or password.
        """
        cls.check_folder(root)
        kit = cls._attach(root, unlock.unlock(root, login))
        with kit.transaction() as session:
            identity = session.scalars(select(KitIdentity)).one_or_none()
            if identity is None:
                raise KitNotInitialised(f"the kit in {root} was never initialised: run `civicid field init` again")
            if identity.schema_version != KIT_SCHEMA_VERSION:
                raise KitNotInitialised(
                    f"the kit database is schema version {identity.schema_version}; this CivicID reads "
                    f"version {KIT_SCHEMA_VERSION}"
                )
        return kit

    @staticmethod
    def check_folder(root: Path) -> None:
        """Raise :class:`KitNotInitialised` unless ``root`` holds a kit this CivicID can open (before any password)."""
        database = root / DATABASE_FILE
        if not database.exists():
            raise KitNotInitialised(f"no field kit in {root}: run `civicid field init` first")
        if _is_plain_sqlite(database) or not unlock.has_unlock_file(root):
            raise KitNotInitialised(
                f"the kit in {root} is of schema version 1 (not encrypted at rest); this CivicID reads version "
                f"{KIT_SCHEMA_VERSION}: export its packets (`civicid field export`) with the old version, then "
                "set the kit up again"
            )

    @classmethod
    def create(cls, root: Path) -> Kit:
        """An empty kit folder under a new store key: tables, key folder, and no way in yet.

        :func:`~civicid.field.setup.record_identity` fills its identity and adds its first supervisor,
        whose wrap of the store key is written when that commits. A folder whose set-up died before
        then (a database and no ``unlock.json``) holds nothing anyone can open: it is begun again.
        """
        if (root / DATABASE_FILE).exists():
            if unlock.has_unlock_file(root) or _is_plain_sqlite(root / DATABASE_FILE):
                raise KitAlreadyInitialised(f"{root} already holds a field kit")
            for leftover in (DATABASE_FILE, f"{DATABASE_FILE}-wal", f"{DATABASE_FILE}-shm"):
                (root / leftover).unlink(missing_ok=True)
            shutil.rmtree(root / KEYS_DIR, ignore_errors=True)
        root.mkdir(parents=True, exist_ok=True)
        kit = cls._attach(root, unlock.new_store_key())
        KitBase.metadata.create_all(kit.sessions.kw["bind"])
        return kit

    @classmethod
    def _attach(cls, root: Path, store_key: bytes) -> Kit:
        engine = make_encrypted_sqlite_engine(root / DATABASE_FILE, unlock.database_key(store_key))
        keystore = FileKeystore.open(root, unlock.master_key(store_key))
        return cls(root=root, sessions=make_session_factory(engine), keystore=keystore, _store_key=store_key)

    @contextmanager
    def transaction(self) -> Iterator[Session]:
        with unit_of_work(self.sessions) as session:
            yield session

    def close(self) -> None:
        self.sessions.kw["bind"].dispose()

    # Keys ---------------------------------------------------------------------------------------

    def grant_after_commit(self, session: Session, login: KitLogin) -> None:
        """Let ``login`` unlock this kit once ``session`` commits (the operator's row with it)."""
        event.listen(session, "after_commit", lambda _: unlock.grant(self.root, self._store_key, login), once=True)

    def device_key(self) -> EllipticCurvePrivateKey:
        return self.keystore.device_signing_key()

    @staticmethod
    def server_sealing_key(identity: KitIdentity) -> X25519PublicKey:
        raw = base64.urlsafe_b64decode(identity.server_sealing_key + "=" * (-len(identity.server_sealing_key) % 4))
        return X25519PublicKey.from_public_bytes(raw)

    # Sealed parts -------------------------------------------------------------------------------

    def sealed_path(self, application_id: str, part_name: str) -> Path:
        return self.root / SEALED_DIR / application_id / f"{part_name}.sealed"

    def write_sealed(self, application_id: str, part_name: str, data: bytes) -> None:
        """Write a sealed part durably (temporary file, fsync, rename, fsync of the folder)."""
        path = self.sealed_path(application_id, part_name)
        path.parent.mkdir(parents=True, exist_ok=True)
        descriptor, temporary = tempfile.mkstemp(dir=path.parent, prefix=".part.", suffix=".tmp")
        with os.fdopen(descriptor, "wb") as file:
            file.write(data)
            file.flush()
            os.fsync(file.fileno())
        os.replace(temporary, path)
        fsync_dir(path.parent)

    def read_sealed(self, application_id: str, part_name: str, offset: int = 0, size: int | None = None) -> bytes:
        """The sealed bytes of a part; :class:`SealedPartMissing` if its file is not on disk."""
        try:
            with self.sealed_path(application_id, part_name).open("rb") as file:
                file.seek(offset)
                return file.read() if size is None else file.read(size)
        except FileNotFoundError:
            raise SealedPartMissing(f"the sealed part {part_name} of {application_id} is not on this kit") from None

    def has_sealed(self, application_id: str, part_name: str) -> bool:
        return self.sealed_path(application_id, part_name).is_file()

    def remove_sealed(self, application_id: str, part_name: str | None = None) -> None:
        """Forget a part (or every part of an application) the server acknowledged or no longer wants."""
        folder = self.root / SEALED_DIR / application_id
        if part_name is None:
            shutil.rmtree(folder, ignore_errors=True)
            return
        self.sealed_path(application_id, part_name).unlink(missing_ok=True)

    def remove_sealed_after_commit(self, session: Session, application_id: str, part_name: str | None = None) -> None:
        """Remove a part's file (or an application's) once ``session`` commits what makes it unwanted.

        Never before: a kit killed between the removal and the commit would otherwise list a part it
        can no longer send. A rolled-back transaction removes nothing.
        """
        event.listen(session, "after_commit", lambda _: self.remove_sealed(application_id, part_name), once=True)

    def sweep_orphans(self, session: Session) -> int:
        """Remove sealed files the database no longer wants; returns how many folders or files went.

        Two crashes leave such files: one between a capture's file and its commit (a folder no outbox
        row names), one between the commit that marked a part as held by the server and its removal.
        """
        folder = self.root / SEALED_DIR
        if not folder.exists():
            return 0
        states: dict[str, OutboxState] = {
            row[0]: row[1] for row in session.execute(select(OutboxItem.application_id, OutboxItem.state))
        }
        acknowledged = {
            (row[0], row[1])
            for row in session.execute(select(OutboxPart.application_id, OutboxPart.name).where(OutboxPart.on_server))
        }
        removed = 0
        for child in folder.iterdir():
            state = states.get(child.name)
            if state is None and _younger_than(child, ORPHAN_GRACE_S):
                continue
            if state is None or not keeps_parts(state):
                shutil.rmtree(child, ignore_errors=True)
                removed += 1
                continue
            for sealed in child.glob("*.sealed"):
                if (child.name, sealed.name.removesuffix(".sealed")) in acknowledged:
                    sealed.unlink(missing_ok=True)
                    removed += 1
        return removed


def _is_plain_sqlite(path: Path) -> bool:
    with path.open("rb") as file:
        return file.read(len(_PLAIN_SQLITE)) == _PLAIN_SQLITE


def _younger_than(path: Path, seconds: float) -> bool:
    """File ages are the file system's business: its own time, not the domain's clock."""
    try:
        return time.time() - path.stat().st_mtime < seconds
    except FileNotFoundError:
        return False
