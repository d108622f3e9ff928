"""Approximate 1:N search by 4-bit product-quantisation fast scan with an exact re-rank.

The first stage is faiss's ``IndexPQFastScan``: each template is cut into ``subquantizers`` slices,
each slice coded by the nearest of 16 centroids (4 bits), and a query's inner products with all
codes are read from small lookup tables held in SIMD registers. At 128 dimensions and 32 slices a
template costs 16 bytes and far less than one nanosecond per query, against ``dim`` multiply-adds
for exact search and 32 bytes of popcounts for a 256-bit sketch. The ``candidates`` best codes are
then scored exactly against the float32 rows, so the scores returned are exact cosines; only a mate
whose code falls outside the candidates is missed, which the recall gate measures before the
gallery may answer (docs/decisions/0022-fast-scan-first-stage.md).

The quantiser is trained (k-means per slice) on the first rows inserted. Deletes keep rows aligned
the cheap way: the code index is rebuilt from the float rows on the next search (rare: erasure).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import numpy.typing as npt

from civicid.biometrics.gallery import ExactGallery, _faiss
from civicid.biometrics.ports import TemplateKey, Vector
from civicid.biometrics.rerank import RerankedGallery

DEFAULT_CANDIDATES = 64
# k-means needs some rows per centroid; training on more than this gains nothing measurable.
_TRAINING_ROWS = 1 << 16
_MIN_TRAINING_ROWS = 16 * 40


def default_subquantizers(dim: int) -> int:
    """32 slices of 4 bits (16 bytes a template) when the dimension allows, else one per 4 dimensions.

    Measured at 200,000 × 512-d (docs/decisions/0022): 32 slices scan 3.4× faster than 128 and,
    with 256 candidates re-ranked, still kept every mate.
    """
    return 32 if dim % 32 == 0 and dim >= 128 else max(1, dim // 4)


def default_candidates(dim: int) -> int:
    """Codes re-ranked exactly: 64 at 128-d, more when fewer bits per dimension blur the first stage."""
    return max(DEFAULT_CANDIDATES, dim // 2)


class FastScanGallery(RerankedGallery):
    """Approximate gallery: float32 rows for re-ranking plus a 4-bit PQ fast-scan code per row."""

    def __init__(
        self,
        key: TemplateKey,
        *,
        subquantizers: int | None = None,
        candidates: int | None = None,
        capacity: int = 1024,
        seed: int = 1234,
    ) -> None:
        self._faiss = _faiss()
        subquantizers = default_subquantizers(key.dim) if subquantizers is None else subquantizers
        candidates = default_candidates(key.dim) if candidates is None else candidates
        if subquantizers < 1 or key.dim % subquantizers:
            raise ValueError("subquantizers must divide the dimension")
        if candidates < 1:
            raise ValueError("candidates must be at least 1")
        self._key = key
        self.candidates = candidates
        self._subquantizers = subquantizers
        self._seed = seed
        self._exact = ExactGallery(key, capacity=capacity)
        self._index: Any = self._new_index()
        self._index.pq.cp.seed = seed
        self._stale = False
        self.recall: float | None = None

    @classmethod
    def from_exact(
        cls, exact: ExactGallery, *, queries: Vector, candidates: int | None = None, min_recall: float = 0.99
    ) -> FastScanGallery:
        """A fast-scan gallery holding a copy of ``exact``'s templates, enabled if its recall check passes."""
        gallery = cls(exact.key, candidates=candidates, capacity=exact.count())
        gallery.insert_matrix(exact.reference_ids, exact.vectors)
        gallery.enable(exact, queries, min_recall=min_recall)
        return gallery

    @property
    def subquantizers(self) -> int:
        return self._subquantizers

    @property
    def nbytes(self) -> int:
        """Bytes held for the live rows: float vectors plus codes (ids and dicts not counted)."""
        return self.count() * (self._key.dim * 4 + self._subquantizers // 2)

    def insert_matrix(self, reference_ids: Sequence[str], vectors: npt.ArrayLike) -> None:
        """Bulk insert of unit-normalised rows; the first insert of enough rows trains the quantiser."""
        matrix = np.ascontiguousarray(vectors, dtype=np.float32)
        self._exact.insert_matrix(reference_ids, matrix)
        if not self._index.is_trained:
            if self._exact.count() < self._min_training_rows():
                self._stale = True  # trained and coded at the first search, once there are enough rows
                return
            self._train(self._exact.vectors)
        if self._stale:
            return
        self._index.add(matrix)

    def delete(self, reference_id: str) -> None:
        self._exact.delete(reference_id)
        self._stale = True

    def _search_rows(self, queries: Vector, top_k: int) -> tuple[Vector, npt.NDArray[np.int64]]:
        if 0 < self._exact.count() < self._min_training_rows():
            # Too few rows to quantise: exact search is cheap.
            return self._exact.search_rows(np.ascontiguousarray(queries, dtype=np.float32), top_k)
        return super()._search_rows(queries, top_k)

    def _first_stage(self, queries: Vector, wide: int) -> npt.NDArray[np.int64]:
        self._refresh()
        _distances, rows = self._index.search(queries, wide)
        return np.asarray(rows, dtype=np.int64)

    def _new_index(self) -> Any:
        """The empty first-stage index; a subclass may put a coarse quantiser in front of the codes."""
        return self._faiss.IndexPQFastScan(self._key.dim, self._subquantizers, 4, self._faiss.METRIC_INNER_PRODUCT)

    def _training_rows(self) -> int:
        """Rows sampled for training: enough for every k-means, few enough to keep the build short."""
        return _TRAINING_ROWS

    def _min_training_rows(self) -> int:
        """Below this many rows the gallery is not quantised but searched exactly."""
        return _MIN_TRAINING_ROWS

    def _train(self, vectors: Vector) -> None:
        rng = np.random.default_rng(self._seed)
        limit = self._training_rows()
        sample = vectors if vectors.shape[0] <= limit else vectors[rng.choice(vectors.shape[0], limit, replace=False)]
        self._index.train(np.ascontiguousarray(sample))

    def _refresh(self) -> None:
        """Re-code every row after deletes (rows moved) or a first training deferred for lack of rows."""
        if not self._stale:
            return
        if not self._index.is_trained:
            self._train(self._exact.vectors)
        self._index.reset()
        self._index.add(np.ascontiguousarray(self._exact.vectors))
        self._stale = False
