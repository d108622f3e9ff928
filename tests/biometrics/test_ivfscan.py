"""The inverted-file fast-scan gallery: recall with exact scores, the gate, inserts after the build, rebuilds,
the probed lists, and the two-round search that stops at a settling score."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import numpy as np
import pytest
from tests.factories import MATED_SIZE, sim_exact, sim_ids, sim_matrix, sim_template

from civicid.biometrics.errors import ApproximateSearchUnavailable, TemplateMismatch
from civicid.biometrics.gallery import ExactGallery, faiss_available
from civicid.biometrics.ivfscan import (
    GLANCE,
    IVFFastScanGallery,
    best_lists,
    default_first_nprobe,
    default_nlist,
    default_nprobe,
)
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


def test_best_lists_are_the_highest_scoring_columns() -> None:
    scores = np.random.default_rng(7).standard_normal((50, 64)).astype(np.float32)
    ranked = np.argsort(-scores, axis=1)
    assert [set(row) for row in best_lists(scores, 12)] == [set(row) for row in ranked[:, :12]]


def test_best_lists_with_ties_at_the_cut_still_pick_exactly_count() -> None:
    scores = np.array([[0.5, 0.9, 0.5, 0.1, 0.5], [0.3, 0.2, 0.8, 0.7, 0.1]], dtype=np.float32)
    lists = best_lists(scores, 3)  # row 0: three columns tie for the 2nd and 3rd places
    assert lists.tolist() == [[0, 1, 2], [0, 2, 3]]  # a tie goes to the lower columns
    assert best_lists(scores, 9).shape == (2, 5)  # more than there are: every column


@pytest.fixture(scope="module")
def ivf(exact: ExactGallery) -> IVFFastScanGallery:
    """One gallery for the settling tests, which change its knobs and put them back."""
    gallery = _built(exact)
    gallery.enable(exact, sim_matrix(range(0, SIZE, 20), 2))
    return gallery


@contextmanager
def knobs(gallery: IVFFastScanGallery, **settings: Any) -> Iterator[IVFFastScanGallery]:
    saved = {name: getattr(gallery, name) for name in settings}
    for name, value in settings.items():
        setattr(gallery, name, value)
    try:
        yield gallery
    finally:
        for name, value in saved.items():
            setattr(gallery, name, value)


def test_a_probe_settled_by_its_glance_is_not_searched_further(ivf: IVFFastScanGallery) -> None:
    """Settling at any score (here -1) stops every probe after the glance: a one-round search of its first lists."""
    queries = sim_matrix(range(0, SIZE, 40), 2)
    with knobs(ivf, settle_at=-1.0):
        _scores, settled = ivf.search_rows(queries, 5)
    with knobs(ivf, nprobe=ivf.first_nprobe, candidates=GLANCE):
        _scores, glance = ivf.search_rows(queries, 5)
    np.testing.assert_array_equal(settled, glance)


def test_an_unsettled_probe_gets_the_one_round_answer(ivf: IVFFastScanGallery) -> None:
    """No score settles (above 1): every probe is searched through all its lists, as without settling."""
    queries = sim_matrix(range(0, SIZE, 20), 2)
    with knobs(ivf, settle_at=1.01):
        never_scores, never_rows = ivf.search_rows(queries, 5)
    plain_scores, plain_rows = ivf.search_rows(queries, 5)
    np.testing.assert_array_equal(never_rows, plain_rows)
    np.testing.assert_array_equal(never_scores, plain_scores)


def test_settling_at_the_duplicate_threshold_keeps_recall_and_exact_scores(
    ivf: IVFFastScanGallery, exact: ExactGallery
) -> None:
    queries = sim_matrix(range(0, SIZE, 20), 2)
    with knobs(ivf, settle_at=0.60):  # SIM_FACE's duplicate_at: most mated probes settle at the glance
        scores, rows = ivf.search_rows(queries, 5)
    assert float(np.mean(rows[:, 0] == np.arange(0, SIZE, 20))) >= 0.99
    np.testing.assert_allclose(scores[:, 0], np.einsum("qd,qd->q", queries, exact.vectors[rows[:, 0]]), rtol=1e-5)
    assert np.all(np.diff(scores, axis=1) <= 0)


def test_asking_for_more_than_the_probed_lists_hold_returns_only_real_candidates(ivf: IVFFastScanGallery) -> None:
    with knobs(ivf, nprobe=1):  # one list of about 20,000 / 64 templates
        found = ivf.identify(sim_template(3, 2), 1_000)
    assert 0 < len(found) < 1_000
    assert len({candidate.reference_id for candidate in found}) == len(found)
    assert all(np.isfinite(candidate.score) for candidate in found)


def test_first_nprobe_defaults_to_a_sixth_and_never_exceeds_nprobe() -> None:
    assert default_first_nprobe(768) == 128
    assert default_first_nprobe(3) == 1
    gallery = IVFFastScanGallery(SIM_FACE.key, nlist=NLIST, nprobe=12)
    assert gallery.first_nprobe == 2
    gallery.first_nprobe = 40
    assert gallery.first_nprobe == 12
    with pytest.raises(ValueError, match="first_nprobe"):
        IVFFastScanGallery(SIM_FACE.key, nlist=NLIST, first_nprobe=0)
