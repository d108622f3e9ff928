"""The PQ fast-scan approximate gallery: recall on a simulated mated set, exact scores, deletes, the gate."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pytest
from tests.factories import MATED_SIZE, sim_exact, sim_ids, sim_matrix, sim_template

from civicid.biometrics.errors import ApproximateSearchUnavailable, TemplateMismatch
from civicid.biometrics.fastscan import FastScanGallery
from civicid.biometrics.gallery import ExactGallery, faiss_available
from civicid.biometrics.ivfscan import IVFFastScanGallery
from civicid.biometrics.simulated import SIM_FACE, SIM_FINGER

pytestmark = pytest.mark.skipif(not faiss_available(), reason="faiss-cpu is not installed")

SIZE = MATED_SIZE


def test_recall_at_1_on_the_simulated_mated_set_with_exact_scores(exact: ExactGallery) -> None:
    queries = sim_matrix(range(0, SIZE, 20), 2)  # 1,000 mated probes (a second capture)
    gallery = FastScanGallery.from_exact(exact, queries=queries)
    assert gallery.recall is not None
    assert gallery.recall >= 0.99
    scores, rows = gallery.search_rows(queries, 5)
    assert float(np.mean(rows[:, 0] == np.arange(0, SIZE, 20))) >= 0.99
    expected = np.einsum("qd,qd->q", queries, exact.vectors[rows[:, 0]])
    np.testing.assert_allclose(scores[:, 0], expected, rtol=1e-5)
    assert np.all(np.diff(scores, axis=1) <= 0)
    truth, _ = exact.search_rows(queries[:50], 5)
    np.testing.assert_allclose(scores[:50, 0], truth[:, 0], rtol=1e-5)


def test_refuses_to_search_until_enabled() -> None:
    gallery = FastScanGallery(SIM_FACE.key)
    gallery.insert("p1", sim_template(1, 1))
    with pytest.raises(ApproximateSearchUnavailable):
        gallery.identify(sim_template(1, 2), 1)


@pytest.mark.parametrize(
    "make",
    [
        lambda: FastScanGallery(SIM_FACE.key),
        lambda: IVFFastScanGallery(SIM_FACE.key, nlist=16, nprobe=8),  # the same deletes behind an inverted file
    ],
    ids=["flat", "ivf"],
)
def test_a_delete_re_codes_the_rows_so_every_reference_is_still_found(make: Callable[[], FastScanGallery]) -> None:
    size = 3_000
    exact = sim_exact(size)
    gallery = make()
    gallery.insert_matrix(exact.reference_ids, exact.vectors)
    gallery.enable(exact, sim_matrix(range(0, size, 10), 2))
    for i in range(0, size, 3):
        gallery.delete(f"p{i}")
    probes = [sim_template(i, 2) for i in range(1, size, 3)]
    found = [c[0].reference_id for c in gallery.identify_batch(probes, 1)]
    hits = sum(f == f"p{i}" for f, i in zip(found, range(1, size, 3), strict=True))
    assert hits / len(probes) >= 0.99
    assert all(f"p{i}" not in gallery for i in range(0, size, 3))


def test_a_small_gallery_is_searched_exactly_until_it_can_be_quantised() -> None:
    gallery = FastScanGallery(SIM_FACE.key)
    gallery.insert_matrix(sim_ids(range(100)), sim_matrix(range(100), 1))
    exact = sim_exact(100)
    assert gallery.enable(exact, sim_matrix(range(100), 2)) == 1.0
    assert gallery.identify(sim_template(7, 2), 1)[0].reference_id == "p7"


def test_other_key_refused() -> None:
    gallery = FastScanGallery(SIM_FACE.key)
    with pytest.raises(TemplateMismatch):
        gallery.insert("f1", sim_template(1, 1, SIM_FINGER))


def test_bad_parameters_refused() -> None:
    with pytest.raises(ValueError, match="divide"):
        FastScanGallery(SIM_FACE.key, subquantizers=7)
    with pytest.raises(ValueError, match="candidates"):
        FastScanGallery(SIM_FACE.key, candidates=0)
