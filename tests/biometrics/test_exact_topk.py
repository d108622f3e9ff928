"""Exact search returns the same top k as a brute-force stable sort, whatever the chunking.

The gallery's selection skips most scores (threshold pre-filter, block maxima), so these tests
drive it through every path: one chunk and many, a first chunk too small to seed a threshold, a
last chunk that is not a whole number of blocks, k above the number of rows, and exact ties.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from civicid.biometrics import gallery as gallery_module
from civicid.biometrics.gallery import ExactGallery
from civicid.biometrics.ports import TemplateKey
from civicid.biometrics.topk import BLOCK, RunningTopK, decode, encode


def _brute_force(queries: np.ndarray, vectors: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """Descending score, equal scores in row order: a stable sort of every score."""
    scores = queries @ vectors.T
    order = np.argsort(-scores, axis=1, kind="stable")[:, :k]
    return np.take_along_axis(scores, order, 1), order


def _gallery(vectors: np.ndarray) -> ExactGallery:
    gallery = ExactGallery(TemplateKey("face", "test", "1", vectors.shape[1]))
    gallery.insert_matrix([f"r{i}" for i in range(len(vectors))], vectors)
    return gallery


def _ties(rng: np.random.Generator, n: int, dim: int = 16) -> npt.NDArray[np.float32]:
    """Unit vectors of four ±0.5 entries: every dot product is a multiple of 0.25, computed exactly."""
    vectors = np.zeros((n, dim), dtype=np.float32)
    for row in vectors:
        row[rng.choice(dim, 4, replace=False)] = rng.choice([-0.5, 0.5], 4)
    return vectors


def _unit(rng: np.random.Generator, n: int, dim: int) -> npt.NDArray[np.float32]:
    vectors = rng.standard_normal((n, dim)).astype(np.float32)
    return vectors / np.linalg.norm(vectors, axis=1, keepdims=True)


@pytest.mark.parametrize("chunk_scores", [1, 997, 1 << 12, 1 << 22])
@pytest.mark.parametrize(("m", "k"), [(1, 1), (1, 10), (7, 5), (40, 10), (3, 64)])
def test_random_vectors_match_brute_force(monkeypatch: pytest.MonkeyPatch, chunk_scores: int, m: int, k: int) -> None:
    monkeypatch.setattr(gallery_module, "_CHUNK_SCORES", chunk_scores)
    rng = np.random.default_rng(chunk_scores + m + k)
    vectors = _unit(rng, 3001, 32)  # not a whole number of blocks
    queries = _unit(rng, m, 32)
    scores, rows = _gallery(vectors).search_rows(queries, k)
    expected_scores, expected_rows = _brute_force(queries, vectors, k)
    np.testing.assert_array_equal(rows, expected_rows)
    np.testing.assert_allclose(scores, expected_scores, rtol=0, atol=1e-6)


@pytest.mark.parametrize("chunk_scores", [1, 500, 1 << 12, 1 << 22])
def test_ties_go_to_the_lower_row(monkeypatch: pytest.MonkeyPatch, chunk_scores: int) -> None:
    monkeypatch.setattr(gallery_module, "_CHUNK_SCORES", chunk_scores)
    rng = np.random.default_rng(5)
    vectors = _ties(rng, 2500)
    queries = _ties(rng, 9)
    scores, rows = _gallery(vectors).search_rows(queries, 25)
    expected_scores, expected_rows = _brute_force(queries, vectors, 25)
    np.testing.assert_array_equal(scores, expected_scores)
    np.testing.assert_array_equal(rows, expected_rows)


def test_identical_rows_across_chunks(monkeypatch: pytest.MonkeyPatch) -> None:
    # The same template in many chunks: every one ties, the first k rows win.
    monkeypatch.setattr(gallery_module, "_CHUNK_SCORES", 64)
    rng = np.random.default_rng(9)
    vectors = _ties(rng, 1000)
    vectors[::37] = vectors[0]
    _scores, rows = _gallery(vectors).search_rows(vectors[:1], 10)
    assert rows[0].tolist() == list(range(0, 370, 37))


def test_k_larger_than_the_gallery() -> None:
    rng = np.random.default_rng(11)
    vectors = _unit(rng, 5, 16)
    queries = _unit(rng, 3, 16)
    scores, rows = _gallery(vectors).search_rows(queries, 50)
    expected_scores, expected_rows = _brute_force(queries, vectors, 5)
    assert rows.shape == (3, 5)
    np.testing.assert_array_equal(rows, expected_rows)
    np.testing.assert_allclose(scores, expected_scores, atol=1e-6)
    assert ExactGallery(TemplateKey("face", "test", "1", 16)).search_rows(queries, 3)[1].shape == (3, 0)


@settings(max_examples=40, deadline=None)
@given(
    size=st.integers(1, 400),
    m=st.integers(1, 6),
    k=st.integers(1, 40),
    chunk_scores=st.integers(1, 3000),
    seed=st.integers(0, 2**32 - 1),
)
def test_any_shape_matches_brute_force(size: int, m: int, k: int, chunk_scores: int, seed: int) -> None:
    rng = np.random.default_rng(seed)
    vectors = _ties(rng, size)
    queries = _ties(rng, m)
    original = gallery_module._CHUNK_SCORES
    gallery_module._CHUNK_SCORES = chunk_scores
    try:
        scores, rows = _gallery(vectors).search_rows(queries, k)
    finally:
        gallery_module._CHUNK_SCORES = original
    expected_scores, expected_rows = _brute_force(queries, vectors, min(k, size))
    np.testing.assert_array_equal(scores, expected_scores)
    np.testing.assert_array_equal(rows, expected_rows)


def test_keys_order_as_score_then_lower_row() -> None:
    scores = np.array([-1.0, -0.5, -0.0, 0.0, 1e-30, 0.25, 0.25, 1.0], dtype=np.float32)
    rows = np.array([7, 6, 5, 4, 3, 9, 2, 1], dtype=np.int64)
    keys = encode(scores, rows)
    back_scores, back_rows = decode(keys)
    np.testing.assert_array_equal(back_scores, scores)
    np.testing.assert_array_equal(back_rows, rows)
    ranked = np.argsort(-keys, kind="stable")
    assert rows[ranked].tolist() == [1, 2, 9, 3, 4, 5, 6, 7]  # -0.0 ties with 0.0; row 4 before 5


def test_running_top_k_accepts_chunks_of_any_width() -> None:
    rng = np.random.default_rng(2)
    scores = rng.standard_normal((4, 10 * BLOCK + 3)).astype(np.float32)
    best = RunningTopK(4, 6)
    for start, stop in [(0, 5), (5, 5 + 3 * BLOCK), (5 + 3 * BLOCK, scores.shape[1])]:
        best.add(scores[:, start:stop], start)
    got_scores, got_rows = best.result()
    order = np.argsort(-scores, axis=1, kind="stable")[:, :6]
    np.testing.assert_array_equal(got_rows, order)
    np.testing.assert_array_equal(got_scores, np.take_along_axis(scores, order, 1))
