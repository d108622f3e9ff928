"""Storing templates and keeping in-memory galleries in step with the database.

The database is the truth; each process's galleries are a cache of it (research/biometrics.md §6.4).
Writers call :func:`store_template` / :func:`delete_templates` inside their unit of work; readers
hold a :class:`GalleryCache` and call :meth:`GalleryCache.refresh` before searching, which applies
only the rows written since its cursor.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any, cast

import numpy as np
from sqlalchemy import CursorResult, Row, Table, bindparam, delete, insert, select
from sqlalchemy.orm import Session

from civicid.biometrics.cipher import TemplateCipher
from civicid.biometrics.errors import DuplicateReference
from civicid.biometrics.gallery import ExactGallery
from civicid.biometrics.models import BiometricTemplate
from civicid.biometrics.ports import Modality, Template, TemplateKey
from civicid.core.dialects import per_dialect
from civicid.core.lists import one_of

# A transaction may commit a lower seq after a reader has seen a higher one (two concurrent
# writers). Each refresh therefore re-reads this many seqs below its cursor and skips the ones it
# has applied, so a late commit inside the window is not lost.
_LOOKBACK = 1_000
# Rows loaded per statement when many are unseen (a rebuild at start).
_LOAD_BATCH = 5_000


def _associated_data(reference_id: str, key: TemplateKey) -> bytes:
    return f"biometric_template|{reference_id}|{key.describe()}".encode()


def store_template(
    *, session: Session, reference_id: str, template: Template, cipher: TemplateCipher, now: dt.datetime
) -> int:
    """Store ``template`` sealed under ``cipher``; its seq. One live template per reference and model."""
    key = template.key
    existing = session.scalars(
        select(BiometricTemplate.seq).where(
            BiometricTemplate.reference_id == reference_id,
            BiometricTemplate.modality == key.modality,
            BiometricTemplate.model == key.model,
            BiometricTemplate.model_version == key.model_version,
            BiometricTemplate.vector.is_not(None),
        )
    ).first()
    if existing is not None:
        raise DuplicateReference(f"reference {reference_id} already has a {key.describe()} template")
    plaintext = template.vector.astype("<f4").tobytes()
    row = BiometricTemplate(
        reference_id=reference_id,
        modality=key.modality,
        model=key.model,
        model_version=key.model_version,
        dim=key.dim,
        vector=cipher.seal(plaintext, associated_data=_associated_data(reference_id, key)),
        quality=template.quality,
        created_at=now,
    )
    session.add(row)
    session.flush()  # for the seq, which the caller may log
    return row.seq


def store_templates(
    *, session: Session, templates: Sequence[tuple[str, Template]], cipher: TemplateCipher, now: dt.datetime
) -> None:
    """:func:`store_template` for many references in one INSERT (the pipeline's set-based dedup stage)."""
    if not templates:
        return
    references = [reference_id for reference_id, _ in templates]
    if len(set(references)) != len(references):
        raise DuplicateReference("the same reference appears twice in one bulk store")
    existing = session.execute(_LIVE_KEYS[session.get_bind().dialect.name], {"references": references}).all()
    keys = {
        (reference_id, template.key.modality, template.key.model, template.key.model_version)
        for reference_id, template in templates
    }
    clash = next((row for row in existing if tuple(row) in keys), None)
    if clash is not None:
        raise DuplicateReference(f"reference {clash[0]} already has a template of that model")
    rows = [
        {
            "reference_id": reference_id,
            "modality": template.key.modality,
            "model": template.key.model,
            "model_version": template.key.model_version,
            "dim": template.key.dim,
            "vector": cipher.seal(
                template.vector.astype("<f4").tobytes(), associated_data=_associated_data(reference_id, template.key)
            ),
            "quality": template.quality,
            "created_at": now,
        }
        for reference_id, template in templates
    ]
    session.connection().execute(_INSERT_TEMPLATES, rows)


# Core, built once: the dedup stage admits a batch's faces with one executemany, and its refresh
# and checks read by lists of ids (one array parameter on PostgreSQL, core/lists.py).
_INSERT_TEMPLATES = insert(cast(Table, BiometricTemplate.__table__))
_LIVE_KEYS = per_dialect(
    lambda dialect: select(
        BiometricTemplate.reference_id,
        BiometricTemplate.modality,
        BiometricTemplate.model,
        BiometricTemplate.model_version,
    ).where(one_of(BiometricTemplate.reference_id, "references", dialect), BiometricTemplate.vector.is_not(None))
)
_SEQS_ABOVE = select(BiometricTemplate.seq).where(BiometricTemplate.seq > bindparam("low"))
_TEMPLATES_OF_SEQS = per_dialect(
    lambda dialect: (
        select(
            BiometricTemplate.seq,
            BiometricTemplate.reference_id,
            BiometricTemplate.modality,
            BiometricTemplate.model,
            BiometricTemplate.model_version,
            BiometricTemplate.dim,
            BiometricTemplate.vector,
        )
        .where(one_of(BiometricTemplate.seq, "seqs", dialect))
        .order_by(BiometricTemplate.seq)
    )
)


def delete_templates(*, session: Session, reference_id: str, now: dt.datetime) -> int:
    """Erase every template of ``reference_id`` and leave tombstones for the caches; how many were erased."""
    rows = session.execute(
        select(
            BiometricTemplate.modality, BiometricTemplate.model, BiometricTemplate.model_version, BiometricTemplate.dim
        )
        .where(BiometricTemplate.reference_id == reference_id, BiometricTemplate.vector.is_not(None))
        .distinct()
    ).all()
    result = cast(
        "CursorResult[Any]",
        session.execute(delete(BiometricTemplate).where(BiometricTemplate.reference_id == reference_id)),
    )
    erased = result.rowcount
    for modality, model, version, dim in rows:
        session.add(
            BiometricTemplate(
                reference_id=reference_id,
                modality=modality,
                model=model,
                model_version=version,
                dim=dim,
                vector=None,
                quality=None,
                created_at=now,
            )
        )
    session.flush()
    return int(erased or 0)


class GalleryCache:
    """An :class:`ExactGallery` per (modality, model, version), rebuilt and refreshed from the table."""

    def __init__(self, cipher: TemplateCipher) -> None:
        self._cipher = cipher
        self._galleries: dict[TemplateKey, ExactGallery] = {}
        self._cursor = 0
        self._applied: set[int] = set()

    @property
    def cursor(self) -> int:
        return self._cursor

    def gallery(self, key: TemplateKey) -> ExactGallery:
        """The gallery of ``key`` (empty if nothing of that model is stored yet)."""
        gallery = self._galleries.get(key)
        if gallery is None:
            gallery = self._galleries[key] = ExactGallery(key)
        return gallery

    def rebuild(self, session: Session) -> int:
        """Drop everything and load the whole table; the number of templates loaded."""
        self._galleries.clear()
        self._cursor = 0
        self._applied.clear()
        self.refresh(session)
        return sum(g.count() for g in self._galleries.values())

    def refresh(self, session: Session) -> int:
        """Apply rows written since the last refresh, in seq order; the number of rows applied.

        Only the seqs of the look-back window are read; whole rows are loaded for the unseen ones
        alone, so a refresh costs the same with a thousand templates as with a million.
        """
        low = max(0, self._cursor - _LOOKBACK)
        seqs = session.scalars(_SEQS_ABOVE, {"low": low}).all()
        unseen = [seq for seq in seqs if seq not in self._applied]
        applied = 0
        load = _TEMPLATES_OF_SEQS[session.get_bind().dialect.name]
        for start in range(0, len(unseen), _LOAD_BATCH):
            for row in session.execute(load, {"seqs": unseen[start : start + _LOAD_BATCH]}):
                self._apply(row)
                self._applied.add(row.seq)
                self._cursor = max(self._cursor, row.seq)
                applied += 1
        floor = self._cursor - _LOOKBACK
        self._applied = {seq for seq in self._applied if seq > floor}
        return applied

    def _apply(self, row: Row[int, str, str, str, str, int, bytes | None]) -> None:
        """One stored row (the columns of ``_TEMPLATES_OF_SEQS``) into its gallery, or out of it."""
        key = TemplateKey(cast(Modality, row.modality), row.model, row.model_version, row.dim)
        gallery = self.gallery(key)
        if row.reference_id in gallery:
            # A tombstone, or a newer template replacing one this cache still holds.
            gallery.delete(row.reference_id)
        if row.vector is None:
            return
        plaintext = self._cipher.open(row.vector, associated_data=_associated_data(row.reference_id, key))
        vector = np.frombuffer(plaintext, dtype="<f4").astype(np.float32)
        gallery.insert_matrix([row.reference_id], vector[None, :])
