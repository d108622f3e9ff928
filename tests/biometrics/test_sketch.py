"""The binary-sketch approximate gallery: recall on a simulated mated set, deletes, keys, the gate."""

from __future__ import annotations

import numpy as np
import pytest
from tests.factories import MATED_SIZE, sim_matrix, sim_template

from civicid.biometrics.errors import ApproximateSearchUnavailable, TemplateMismatch, UnknownReference
from civicid.biometrics.gallery import ExactGallery, faiss_available
from civicid.biometrics.ports import Template
from civicid.biometrics.simulated import SIM_FACE, SIM_FINGER
from civicid.biometrics.sketch import SketchGallery, default_bits

pytestmark = pytest.mark.skipif(not faiss_available(), reason="faiss-cpu is not installed")

SIZE = MATED_SIZE


def test_recall_at_1_on_the_simulated_mated_set(exact: ExactGallery) -> None:
    queries = sim_matrix(range(0, SIZE, 20), 2)  # 1,000 mated probes (a second capture)
    sketch = SketchGallery.from_exact(exact, queries=queries)
    assert sketch.recall is not None
    assert sketch.recall >= 0.99
    scores, rows = sketch.search_rows(queries, 5)
    found = [sketch.search_matrix(queries[:3], 1)[i][0].reference_id for i in range(3)]
    assert found == ["p0", "p20", "p40"]
    mates = np.arange(0, SIZE, 20)
    assert float(np.mean(rows[:, 0] == mates)) >= 0.99
    # Scores are exact cosines of the re-ranked candidates, best first.
    expected = np.einsum("qd,qd->q", queries, exact.vectors[rows[:, 0]])
    np.testing.assert_allclose(scores[:, 0], expected, rtol=1e-5)
    assert np.all(np.diff(scores, axis=1) <= 0)


def test_sketches_are_reproducible_from_the_seed() -> None:
    vectors = sim_matrix(range(50), 1)
    a = SketchGallery(SIM_FACE.key, seed=7)
    b = SketchGallery(SIM_FACE.key, seed=7)
    c = SketchGallery(SIM_FACE.key, seed=8)
    assert (a.seed, a.bits) == (7, default_bits(SIM_FACE.dim)) == (7, 512)
    np.testing.assert_array_equal(a.sketch(vectors), b.sketch(vectors))
    assert not np.array_equal(a.sketch(vectors), c.sketch(vectors))
    assert [default_bits(d) for d in (128, 200, 300)] == [256, 256, 320]


def test_delete_keeps_sketches_aligned_with_rows() -> None:
    calibration = ExactGallery(SIM_FACE.key)
    calibration.insert_matrix([f"p{i}" for i in range(300)], sim_matrix(range(300), 1))
    sketch = SketchGallery.from_exact(calibration, queries=sim_matrix(range(100), 2), candidates=4)
    for i in range(0, 300, 3):
        sketch.delete(f"p{i}")
    assert sketch.count() == 200
    assert "p3" not in sketch
    assert "p4" in sketch
    with pytest.raises(UnknownReference):
        sketch.delete("p3")
    results = sketch.search_matrix(sim_matrix(range(300), 2), 1)
    for i, row in enumerate(results):
        if i % 3:
            assert row[0].reference_id == f"p{i}"
        else:
            assert row[0].score < 0.3
    sketch.insert("p3", sim_template(3, 1))
    assert sketch.identify(sim_template(3, 2), top_k=1)[0].reference_id == "p3"


def test_other_key_refused() -> None:
    sketch = SketchGallery(SIM_FACE.key)
    sketch.insert("a", sim_template(1, 1))
    other = sim_template(1, 2)
    with pytest.raises(TemplateMismatch):
        sketch.insert("b", Template(other.modality, other.model, "2", other.vector, other.quality))
    with pytest.raises(TemplateMismatch):
        sketch.insert("c", sim_template(1, 1, SIM_FINGER))
    finger = ExactGallery(SIM_FINGER.key)
    finger.insert("a", sim_template(1, 1, SIM_FINGER))
    with pytest.raises(TemplateMismatch):
        sketch.enable(finger, sim_matrix(range(1, 2), 2, SIM_FINGER))


def test_refuses_to_search_until_enabled(exact: ExactGallery) -> None:
    sketch = SketchGallery(SIM_FACE.key)
    sketch.insert("a", sim_template(1, 1))
    with pytest.raises(ApproximateSearchUnavailable):
        sketch.identify(sim_template(1, 2), top_k=1)
    with pytest.raises(ApproximateSearchUnavailable):
        sketch.search_rows(sim_matrix(range(1, 2), 2), 1)


def test_too_few_bits_fail_the_recall_gate(exact: ExactGallery) -> None:
    queries = sim_matrix(range(0, SIZE, 20), 2)
    with pytest.raises(ApproximateSearchUnavailable, match="recall"):
        SketchGallery.from_exact(exact, queries=queries, bits=8, candidates=1)


def test_bad_parameters_refused() -> None:
    with pytest.raises(ValueError, match="multiple of 8"):
        SketchGallery(SIM_FACE.key, bits=12)
    with pytest.raises(ValueError, match="candidates"):
        SketchGallery(SIM_FACE.key, candidates=0)


def test_growing_past_capacity_keeps_every_sketch() -> None:
    """A bulk insert larger than the capacity, after earlier rows: nothing written before is lost."""
    sketch = SketchGallery(SIM_FACE.key, capacity=16)
    first, second = sim_matrix(range(10), 1), sim_matrix(range(10, 3000), 1)
    sketch.insert_matrix([f"p{i}" for i in range(10)], first)
    sketch.insert_matrix([f"p{i}" for i in range(10, 3000)], second)
    assert sketch.count() == 3000
    probes = sim_matrix([3, 2500], 2)
    calibration = ExactGallery(SIM_FACE.key)
    calibration.insert_matrix([f"p{i}" for i in range(3000)], np.vstack([first, second]))
    sketch.enable(calibration, probes)
    assert [hits[0].reference_id for hits in sketch.search_matrix(probes, 1)] == ["p3", "p2500"]
