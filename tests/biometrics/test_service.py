"""Template store: sealed at rest, rebuilt and refreshed by seq cursor, on SQLite and PostgreSQL."""

from __future__ import annotations

import os

import pytest
from sqlalchemy import select
from tests.factories import sim_template

from civicid.biometrics.cipher import AesGcmTemplateCipher, TemplateSealBroken
from civicid.biometrics.errors import DuplicateReference
from civicid.biometrics.models import BiometricTemplate
from civicid.biometrics.service import GalleryCache, delete_templates, store_template
from civicid.biometrics.simulated import SIM_FACE, SIM_FINGER
from civicid.core.database import unit_of_work
from civicid.core.runtime import Context

KEY = bytes(range(32))


def _store(context: Context, reference_id: str, identity: int, model=SIM_FACE) -> None:  # type: ignore[no-untyped-def]
    with unit_of_work(context.database.sessions) as session:
        store_template(
            session=session,
            reference_id=reference_id,
            template=sim_template(identity, 1, model),
            cipher=AesGcmTemplateCipher(KEY),
            now=context.clock.now(),
        )


def test_rebuild_then_incremental_refresh(context: Context) -> None:
    for i in range(5):
        _store(context, f"app-{i}", i)
    _store(context, "app-0", 0, SIM_FINGER)
    reader = GalleryCache(AesGcmTemplateCipher(KEY))
    with unit_of_work(context.database.sessions) as session:
        assert reader.rebuild(session) == 6
    face = reader.gallery(SIM_FACE.key)
    assert face.identify(sim_template(3, 2), top_k=1)[0].reference_id == "app-3"
    assert reader.gallery(SIM_FINGER.key).count() == 1

    # Another process writes: a new template and an erasure.
    _store(context, "app-9", 9)
    with unit_of_work(context.database.sessions) as session:
        assert delete_templates(session=session, reference_id="app-3", now=context.clock.now()) == 1
    with unit_of_work(context.database.sessions) as session:
        assert reader.refresh(session) == 2
        assert reader.refresh(session) == 0
    assert face.count() == 5
    assert "app-3" not in face
    assert face.identify(sim_template(9, 2), top_k=1)[0].reference_id == "app-9"

    # A fresh process sees the same gallery.
    fresh = GalleryCache(AesGcmTemplateCipher(KEY))
    with unit_of_work(context.database.sessions) as session:
        fresh.rebuild(session)
    assert sorted(fresh.gallery(SIM_FACE.key).reference_ids) == sorted(face.reference_ids)


def test_stored_vector_is_sealed(context: Context) -> None:
    _store(context, "app-1", 1)
    with unit_of_work(context.database.sessions) as session:
        stored = session.scalars(select(BiometricTemplate.vector)).one()
    assert stored is not None
    plaintext = sim_template(1, 1).vector.astype("<f4").tobytes()
    assert plaintext not in stored
    assert plaintext[:16] not in stored
    wrong = GalleryCache(AesGcmTemplateCipher(os.urandom(32)))
    with unit_of_work(context.database.sessions) as session, pytest.raises(TemplateSealBroken):
        wrong.rebuild(session)


def test_second_template_for_same_model_refused(context: Context) -> None:
    _store(context, "app-1", 1)
    with pytest.raises(DuplicateReference):
        _store(context, "app-1", 2)
    _store(context, "app-1", 1, SIM_FINGER)  # another modality is fine


def test_sealed_vector_bound_to_its_row() -> None:
    cipher = AesGcmTemplateCipher(KEY)
    sealed = cipher.seal(b"vector", associated_data=b"a")
    assert cipher.open(sealed, associated_data=b"a") == b"vector"
    with pytest.raises(TemplateSealBroken):
        cipher.open(sealed, associated_data=b"b")
