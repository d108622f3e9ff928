"""Contract of the Gallery port, run against every adapter, and exact/approximate search quality."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pytest
from tests.factories import sim_matrix, sim_template

from civicid.biometrics.errors import (
    ApproximateSearchUnavailable,
    DuplicateReference,
    TemplateMismatch,
    UnknownReference,
)
from civicid.biometrics.gallery import ApproximateGallery, ExactGallery, faiss_available
from civicid.biometrics.ports import Gallery, Template
from civicid.biometrics.simulated import SIM_FACE, SIM_FINGER
from civicid.biometrics.sketch import SketchGallery

needs_faiss = pytest.mark.skipif(not faiss_available(), reason="faiss-cpu is not installed")


def _exact() -> Gallery:
    return ExactGallery(SIM_FACE.key, capacity=2)


def _approximate() -> Gallery:
    # Train and enable on a calibration set of 600 identities, then empty it: the contract starts empty.
    calibration = ExactGallery(SIM_FACE.key)
    ids = [f"cal-{i}" for i in range(600)]
    calibration.insert_matrix(ids, sim_matrix(range(10_000, 10_600), 1))
    approximate = ApproximateGallery.from_exact(
        calibration, nlist=8, nprobe=8, queries=sim_matrix(range(10_000, 10_100), 2)
    )
    for reference_id in ids:
        approximate.delete(reference_id)
    return approximate


def _sketch() -> Gallery:
    # Enabled on a calibration set of 600 identities, then emptied: the contract starts empty.
    calibration = ExactGallery(SIM_FACE.key)
    ids = [f"cal-{i}" for i in range(600)]
    calibration.insert_matrix(ids, sim_matrix(range(10_000, 10_600), 1))
    sketch = SketchGallery.from_exact(calibration, queries=sim_matrix(range(10_000, 10_100), 2))
    for reference_id in ids:
        sketch.delete(reference_id)
    return sketch


ADAPTERS = [
    pytest.param(_exact, id="exact"),
    pytest.param(_approximate, id="approximate", marks=needs_faiss),
    pytest.param(_sketch, id="sketch", marks=needs_faiss),
]


@pytest.fixture(params=ADAPTERS)
def gallery(request: pytest.FixtureRequest) -> Gallery:
    factory: Callable[[], Gallery] = request.param
    return factory()


class TestGalleryContract:
    def test_is_a_gallery(self, gallery: Gallery) -> None:
        assert isinstance(gallery, Gallery)
        assert gallery.count() == 0

    def test_identify_finds_the_mate_first(self, gallery: Gallery) -> None:
        for i in range(50):
            gallery.insert(f"p{i}", sim_template(i, 1))
        assert gallery.count() == 50
        candidates = gallery.identify(sim_template(7, 2), top_k=3)
        assert next(c.reference_id for c in candidates) == "p7"
        assert len(candidates) == 3
        assert candidates[0].score > 0.5 > candidates[1].score
        assert candidates[0].score >= candidates[1].score >= candidates[2].score

    def test_batch_equals_single(self, gallery: Gallery) -> None:
        for i in range(40):
            gallery.insert(f"p{i}", sim_template(i, 1))
        probes = [sim_template(i, 2) for i in (3, 9, 33)]
        batch = gallery.identify_batch(probes, top_k=2)
        singles = [gallery.identify(p, top_k=2) for p in probes]
        assert [[c.reference_id for c in row] for row in batch] == [[c.reference_id for c in row] for row in singles]

    def test_top_k_larger_than_gallery(self, gallery: Gallery) -> None:
        gallery.insert("a", sim_template(1, 1))
        gallery.insert("b", sim_template(2, 1))
        assert {c.reference_id for c in gallery.identify(sim_template(1, 2), top_k=10)} == {"a", "b"}

    def test_insert_twice_refused(self, gallery: Gallery) -> None:
        gallery.insert("a", sim_template(1, 1))
        with pytest.raises(DuplicateReference):
            gallery.insert("a", sim_template(1, 2))

    def test_delete(self, gallery: Gallery) -> None:
        for i in range(10):
            gallery.insert(f"p{i}", sim_template(i, 1))
        gallery.delete("p3")
        assert gallery.count() == 9
        assert "p3" not in gallery
        assert gallery.identify(sim_template(3, 2), top_k=1)[0].score < 0.3
        # The row that moved into the hole is still found under its own reference.
        assert gallery.identify(sim_template(9, 2), top_k=1)[0].reference_id == "p9"
        with pytest.raises(UnknownReference):
            gallery.delete("p3")

    def test_other_model_version_refused(self, gallery: Gallery) -> None:
        gallery.insert("a", sim_template(1, 1))
        other = sim_template(1, 2)
        v2 = Template(other.modality, other.model, "2", other.vector, other.quality)
        with pytest.raises(TemplateMismatch):
            gallery.identify(v2, top_k=1)
        with pytest.raises(TemplateMismatch):
            gallery.insert("b", v2)
        with pytest.raises(TemplateMismatch):
            gallery.insert("c", sim_template(1, 1, SIM_FINGER))


def test_exact_top1_on_mated_set_is_complete() -> None:
    gallery = ExactGallery(SIM_FACE.key)
    gallery.insert_matrix([f"p{i}" for i in range(3000)], sim_matrix(range(3000), 1))
    probes = sim_matrix(range(0, 3000, 3), 2)
    results = gallery.search_matrix(probes, top_k=5)
    assert [row[0].reference_id for row in results] == [f"p{i}" for i in range(0, 3000, 3)]


def test_exact_matches_brute_force_ordering() -> None:
    rng = np.random.default_rng(3)
    vectors = rng.standard_normal((1000, SIM_FACE.dim)).astype(np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    gallery = ExactGallery(SIM_FACE.key)
    gallery.insert_matrix([str(i) for i in range(1000)], vectors)
    queries = vectors[:20] * 0.3 + vectors[20:40] * 0.7
    scores, rows = gallery.search_rows(queries.astype(np.float32), 10)
    expected = np.argsort(-(queries @ vectors.T), axis=1)[:, :10]
    np.testing.assert_array_equal(rows, expected)
    assert np.all(np.diff(scores, axis=1) <= 0)


@needs_faiss
def test_approximate_recall_at_1_against_exact() -> None:
    exact = ExactGallery(SIM_FACE.key)
    exact.insert_matrix([f"p{i}" for i in range(5000)], sim_matrix(range(5000), 1))
    queries = sim_matrix(range(0, 5000, 10), 2)
    approximate = ApproximateGallery.from_exact(exact, nlist=32, nprobe=16, queries=queries)
    assert approximate.recall is not None
    assert approximate.recall >= 0.99
    assert approximate.recall_check(exact, queries, k=1) >= 0.99


@needs_faiss
def test_approximate_refuses_when_recall_too_low() -> None:
    exact = ExactGallery(SIM_FACE.key)
    exact.insert_matrix([f"p{i}" for i in range(2000)], sim_matrix(range(2000), 1))
    approximate = ApproximateGallery(exact.key, exact.vectors, nlist=64, nprobe=1)
    approximate.insert_matrix(exact.reference_ids, exact.vectors)
    with pytest.raises(ApproximateSearchUnavailable, match="recall"):
        approximate.enable(exact, sim_matrix(range(0, 2000, 10), 2))
    with pytest.raises(ApproximateSearchUnavailable):
        approximate.identify(sim_template(1, 2), top_k=1)


def test_growth_keeps_rows() -> None:
    gallery = ExactGallery(SIM_FACE.key, capacity=1)
    for i in range(33):
        gallery.insert(f"p{i}", sim_template(i, 1))
    assert gallery.count() == 33
    assert gallery.identify(sim_template(0, 2), top_k=1)[0].reference_id == "p0"
