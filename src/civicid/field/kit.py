"""A field kit's data folder: its database, its device key and its sealed parts.

Layout::

    kit.db                       the kit's SQLite database (``models.py``)
    master.key, keys/            the device's ES256 key, wrapped under the master key (core/keystore.py)
    sealed/<application id>/     one file per sealed part, named by the part

A sealed part is written to a temporary file, flushed to disk and renamed into place before the
database transaction that records the capture commits; "saved" is shown only after that commit. A
crash in between leaves a file no row names, which :meth:`Kit.sweep_orphans` removes; never a row
without its file.
"""

from __future__ import annotations

import base64
import os
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ec import EllipticCurvePrivateKey
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PublicKey
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from civicid.core.database import make_engine, make_session_factory, unit_of_work
from civicid.core.keystore import FileKeystore, fsync_dir, master_key_from_environment
from civicid.field.errors import KitAlreadyInitialised, KitNotInitialised
from civicid.field.models import KIT_SCHEMA_VERSION, KitBase, KitIdentity, OutboxItem

DATABASE_FILE = "kit.db"
SEALED_DIR = "sealed"


@dataclass
class Kit:
    """An opened kit folder. Sessions come from :meth:`transaction`; the caller owns each one."""

    root: Path
    sessions: sessionmaker[Session]
    keystore: FileKeystore

    @classmethod
    def open(cls, root: Path) -> Kit:
        """The kit in ``root``; raises :class:`KitNotInitialised` if there is none."""
        if not (root / DATABASE_FILE).exists():
            raise KitNotInitialised(f"no field kit in {root}: run `civicid field init` first")
        kit = cls._attach(root)
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

    @classmethod
    def create(cls, root: Path) -> Kit:
        """An empty kit folder: tables, key folder. :func:`~civicid.field.enroll` fills its identity."""
        if (root / DATABASE_FILE).exists():
            with cls._attach(root).transaction() as session:
                if session.scalars(select(KitIdentity)).first() is not None:
                    raise KitAlreadyInitialised(f"{root} already holds a field kit")
        root.mkdir(parents=True, exist_ok=True)
        kit = cls._attach(root)
        KitBase.metadata.create_all(kit.sessions.kw["bind"])
        return kit

    @classmethod
    def _attach(cls, root: Path) -> Kit:
        engine = make_engine(f"sqlite:///{root / DATABASE_FILE}")
        keystore = FileKeystore.open(root, master_key_from_environment())
        return cls(root=root, sessions=make_session_factory(engine), keystore=keystore)

    @contextmanager
    def transaction(self) -> Iterator[Session]:
        with unit_of_work(self.sessions) as session:
            yield session

    def close(self) -> None:
        self.sessions.kw["bind"].dispose()

    # Keys ---------------------------------------------------------------------------------------

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
        with self.sealed_path(application_id, part_name).open("rb") as file:
            file.seek(offset)
            return file.read() if size is None else file.read(size)

    def remove_sealed(self, application_id: str, part_name: str | None = None) -> None:
        """Forget a part (or every part of an application) the server acknowledged or no longer wants."""
        folder = self.root / SEALED_DIR / application_id
        if part_name is None:
            shutil.rmtree(folder, ignore_errors=True)
            return
        self.sealed_path(application_id, part_name).unlink(missing_ok=True)

    def sweep_orphans(self, session: Session) -> int:
        """Remove sealed folders no outbox row names (a crash between the file and the commit)."""
        folder = self.root / SEALED_DIR
        if not folder.exists():
            return 0
        known = set(session.scalars(select(OutboxItem.application_id)))
        removed = 0
        for child in folder.iterdir():
            if child.name not in known:
                shutil.rmtree(child, ignore_errors=True)
                removed += 1
        return removed
