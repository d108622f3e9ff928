"""The inverted-file fast-scan gallery: recall with exact scores, the gate, inserts after the build, rebuilds."""

from __future__ import annotations

import numpy as np
import pytest
from tests.biometrics.conftest import MATED_SIZE, sim_exact, sim_ids, sim_matrix, sim_template

from civicid.biometrics.errors import ApproximateSearchUnavailable, TemplateMismatch
from civicid.biometrics.gallery import ExactGallery, faiss_available
from civicid.biometrics.ivfscan import IVFFastScanGallery, default_nlist, default_nprobe
from civicid.biometrics.simulated import SIM_FACE, SIM_FINGER

pytestmark = pytest.mark.skipif(not faiss_available(), reason="faiss-cpu is not installed")

SIZE = MATED_SIZE
NLIST = 64


def _built(exact: ExactGallery, *, nprobe: int = NLIST // 2) -> IVFFastScanGallery:
    gallery = IVFFastScanGallery(exact.key, nlist=NLIST, nprobe=nprobe, capacity=exact.count())
    gallery.insert_matrix(exact.reference_ids, exact.vectors)
    return gallery


def test_recall_at_1_on_the_simulated_mated_set_with_exact_scores(exact: ExactGallery) -> None:
    queries = sim_matrix(range(0, SIZE, 20), 2)  # 1,000 mated probes (a second capture)
    gallery = _built(exact)
    assert gallery.enable(exact, queries) >= 0.99
    scores, rows = gallery.search_rows(queries, 5)
    assert float(np.mean(rows[:, 0] == np.arange(0, SIZE, 20))) >= 0.99
    expected = np.einsum("qd,qd->q", queries, exact.vectors[rows[:, 0]])
    np.testing.assert_allclose(scores[:, 0], expected, rtol=1e-5)
    assert np.all(np.diff(scores, axis=1) <= 0)
    truth_scores, truth_rows = exact.search_rows(queries, 1)
    found = rows[:, 0] == truth_rows[:, 0]
    assert float(np.mean(found)) >= 0.99
    np.testing.assert_allclose(scores[found, 0], truth_scores[found, 0], rtol=1e-5)
    assert np.all(scores[:, 0] <= truth_scores[:, 0] + 1e-6)  # a miss scores below exact, never above


def test_the_gate_refuses_too_few_probed_lists(exact: ExactGallery) -> None:
    gallery = _built(exact, nprobe=1)
    with pytest.raises(ApproximateSearchUnavailable, match="below"):
        gallery.enable(exact, sim_matrix(range(0, SIZE, 20), 2))
    assert not gallery.enabled
    with pytest.raises(ApproximateSearchUnavailable):
        gallery.identify(sim_template(1, 2), 1)


def test_rows_inserted_after_the_build_are_coded_into_the_lists(exact: ExactGallery) -> None:
    gallery = _built(exact, nprobe=NLIST)  # every list scanned: a row missing from the lists is never found
    gallery.enable(exact, sim_matrix(range(0, SIZE, 40), 2))
    later = range(SIZE, SIZE + 1_000)
    gallery.insert_matrix(sim_ids(later), sim_matrix(later, 1))
    gallery.insert(f"p{SIZE + 1_000}", sim_template(SIZE + 1_000, 1))
    assert gallery.count() == SIZE + 1_001
    probes = sim_matrix(range(SIZE, SIZE + 1_001), 2)
    _scores, rows = gallery.search_rows(probes, 1)
    assert float(np.mean(rows[:, 0] == np.arange(SIZE, SIZE + 1_001))) >= 0.99


def test_a_rebuild_from_the_same_rows_answers_the_same(exact: ExactGallery) -> None:
    """Galleries are rebuilt from the database at start: the same rows and seed give the same index."""
    queries = sim_matrix(range(0, SIZE, 50), 2)
    first, second = _built(exact), _built(exact)
    for gallery in (first, second):
        gallery.enable(exact, queries)
    scores_1, rows_1 = first.search_rows(queries, 10)
    scores_2, rows_2 = second.search_rows(queries, 10)
    np.testing.assert_array_equal(rows_1, rows_2)
    np.testing.assert_array_equal(scores_1, scores_2)


def test_a_gallery_too_small_for_its_lists_is_searched_exactly() -> None:
    gallery = IVFFastScanGallery(SIM_FACE.key, nlist=NLIST, nprobe=1)
    gallery.insert_matrix(sim_ids(range(500)), sim_matrix(range(500), 1))
    exact = sim_exact(500)
    assert gallery.enable(exact, sim_matrix(range(500), 2)) == 1.0
    assert gallery.identify(sim_template(7, 2), 1)[0].reference_id == "p7"


def test_defaults_are_the_measured_points() -> None:
    assert (default_nlist(128), default_nprobe(default_nlist(128))) == (4096, 768)
    assert (default_nlist(512), default_nprobe(default_nlist(512))) == (1024, 384)
    assert default_nprobe(1) == 1


def test_nprobe_is_a_knob_within_the_lists() -> None:
    gallery = IVFFastScanGallery(SIM_FACE.key, nlist=NLIST, nprobe=4)
    assert (gallery.nlist, gallery.nprobe) == (NLIST, 4)
    gallery.nprobe = NLIST
    assert gallery.nprobe == NLIST
    with pytest.raises(ValueError, match="nprobe"):
        gallery.nprobe = NLIST + 1
    with pytest.raises(ValueError, match="nprobe"):
        IVFFastScanGallery(SIM_FACE.key, nlist=NLIST, nprobe=0)


def test_other_key_refused() -> None:
    gallery = IVFFastScanGallery(SIM_FACE.key, nlist=NLIST)
    with pytest.raises(TemplateMismatch):
        gallery.insert("f1", sim_template(1, 1, SIM_FINGER))
