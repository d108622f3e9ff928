"""Approximate 1:N search: an inverted file in front of the 4-bit PQ fast scan, then the exact re-rank.

The flat fast scan (``fastscan.py``) reads every code for every query, so its lead over exact search
is a constant factor that shrank to ≈ 5.5× at 128-d once exact search ran near the GEMM limit
(docs/decisions/0026). Here a coarse quantiser of ``nlist`` k-means centroids splits the codes into
lists; a query scans only the ``nprobe`` lists whose centroids are nearest, a fraction
``nprobe / nlist`` of the gallery, and its ``candidates`` best codes are re-scored exactly as before.
On isotropic templates a probe's nearest centroids are a poor guide to its mate's list
(docs/decisions/0006), so ``nprobe`` must be a large share of ``nlist``; the defaults are the
measured point where the mated set still reaches the recall gate (docs/decisions/0028).

Two refinements (docs/decisions/0031):

- the lists a query probes are chosen here, by one product with the centroids and a partition, and
  handed to faiss's ``search_preassigned``: faiss's own coarse search keeps a heap of ``nprobe``
  per query, which at 768 of 4,096 lists took a third of the whole search;
- with ``settle_at`` set, a query first *glances* at its ``first_nprobe`` best lists (a sixth of
  ``nprobe``) and re-ranks their :data:`GLANCE` best codes. If a candidate there scores at least
  ``settle_at`` (exactly), the query is settled: a mate usually sits in one of the probe's best
  lists, and a candidate at or above the model's duplicate threshold has answered what 1:N search
  is asked here (is this person already enrolled?). Only the unsettled queries then get the full
  search of ``nprobe`` lists, whose answer is exactly the one-round answer. Mated probes mostly
  stop after the glance; a probe without a mate never settles and pays the glance on top of the
  full search. For a settled probe, candidates after the first come from its first lists only.

Everything else (training on a sample of the first large insert, inserts after training, deletes
re-coding on the next search, the exact fallback below the training size, the gate) is
:class:`~civicid.biometrics.fastscan.FastScanGallery`'s.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import numpy.typing as npt

from civicid.biometrics.fastscan import _MIN_TRAINING_ROWS, _TRAINING_ROWS, FastScanGallery
from civicid.biometrics.ports import TemplateKey, Vector
from civicid.biometrics.rerank import rerank

Lists = npt.NDArray[np.int64]

DEFAULT_NLIST = 4096
# The coarse k-means wants ≈ 40 rows a centroid; more only lengthens the build.
_ROWS_PER_LIST = 40


def default_nlist(dim: int) -> int:
    """4,096 lists up to 256-d; 1,024 above, where the coarse k-means would cost minutes at 1M.

    More lists sharpen the first stage (a template lies closer to its own centroid) but the
    training and the assignment of every row cost ``nlist · dim`` per row (decision 0028).
    """
    return DEFAULT_NLIST if dim <= 256 else DEFAULT_NLIST // 4


def default_nprobe(nlist: int) -> int:
    """3/16 of 4,096 lists, 3/8 of fewer: the shares that kept recall@1 ≥ 0.99 at 1M (decision 0028).

    768 of 4,096 kept 0.993 of 1,000 mated probes at 128-d (512 kept 0.979); 384 of 1,024 kept
    0.996 at 512-d (256 kept 0.988). Fewer lists need a larger share: each is a coarser cell.
    """
    return max(1, 3 * nlist // (16 if nlist >= DEFAULT_NLIST else 8))


GLANCE = 16
"""Codes of the glance re-ranked exactly: a mate in its lists is among them (PQ32x4 at 1M × 128-d
ranked the mate within 8 of 187,500 codes nearly as often as within 64, decision 0031)."""


def default_first_nprobe(nprobe: int) -> int:
    """A sixth of ``nprobe`` for the glance: 128 of 768 (decision 0031).

    The glance costs in proportion to its lists, the full search after it to the probes left
    unsettled; between 96 and 192 of 768 the mated speed hardly moved, and a non-mated probe pays
    the glance as well, so the smaller end.
    """
    return max(1, nprobe // 6)


def best_lists(scores: Vector, count: int) -> Lists:
    """Each row's ``count`` highest-scoring columns, in column order.

    A partition of the values and one comparison run ≈ 5× faster than ``np.argpartition`` on
    1,000 × 4,096 scores, but pick more than ``count`` columns in a row where several tie at the
    cut (float32 scores do: about one row in a thousand at 128 of 4,096); those rows are sorted.
    """
    m, n = scores.shape
    if count >= n:
        return np.tile(np.arange(n, dtype=np.int64), (m, 1))
    chosen = scores >= np.partition(scores, n - count, axis=1)[:, n - count, None]
    picked = np.flatnonzero(chosen)
    if picked.size != m * count:
        for row in np.flatnonzero(np.count_nonzero(chosen, axis=1) != count):
            chosen[row] = False
            chosen[row, np.argsort(-scores[row], kind="stable")[:count]] = True
        picked = np.flatnonzero(chosen)
    return np.asarray(picked % n, dtype=np.int64).reshape(m, count)


class IVFFastScanGallery(FastScanGallery):
    """Approximate gallery: float32 rows for re-ranking plus 4-bit PQ codes in ``nlist`` inverted lists."""

    _first_nprobe: int | None

    def __init__(
        self,
        key: TemplateKey,
        *,
        nlist: int | None = None,
        nprobe: int | None = None,
        subquantizers: int | None = None,
        candidates: int | None = None,
        capacity: int = 1024,
        seed: int = 1234,
        first_nprobe: int | None = None,
        settle_at: float | None = None,
    ) -> None:
        nlist = default_nlist(key.dim) if nlist is None else nlist
        nprobe = default_nprobe(nlist) if nprobe is None else nprobe
        if nlist < 1 or not 1 <= nprobe <= nlist:
            raise ValueError("nprobe must be between 1 and nlist")
        self._nlist = nlist
        super().__init__(key, subquantizers=subquantizers, candidates=candidates, capacity=capacity, seed=seed)
        self._index.cp.seed = seed
        self.nprobe = nprobe
        self.first_nprobe = first_nprobe
        self.settle_at = settle_at
        """A score that settles a query at the glance (the model's duplicate threshold), or None: one round."""

    @property
    def nlist(self) -> int:
        return self._nlist

    @property
    def nprobe(self) -> int:
        """Lists scanned per query: the speed/recall knob, settable after the build (no re-training)."""
        return self._nprobe

    @nprobe.setter
    def nprobe(self, value: int) -> None:
        if not 1 <= value <= self._nlist:
            raise ValueError("nprobe must be between 1 and nlist")
        self._nprobe = value

    @property
    def first_nprobe(self) -> int:
        """Lists of the glance when ``settle_at`` is set: as given, else a sixth of ``nprobe``."""
        first = default_first_nprobe(self._nprobe) if self._first_nprobe is None else self._first_nprobe
        return min(first, self._nprobe)

    @first_nprobe.setter
    def first_nprobe(self, value: int | None) -> None:
        if value is not None and value < 1:
            raise ValueError("first_nprobe must be at least 1")
        self._first_nprobe = value

    @property
    def nbytes(self) -> int:
        """Bytes held for the live rows: float vectors, codes and the lists' 8-byte ids, plus centroids."""
        return super().nbytes + self.count() * 8 + self._nlist * self._key.dim * 4

    def _first_stage(self, queries: Vector, wide: int) -> npt.NDArray[np.int64]:
        self._refresh()
        return self._scan(queries, best_lists(self._centroid_scores(queries), self._nprobe), wide)

    def _rank(self, queries: Vector, wide: int, k: int) -> tuple[Vector, npt.NDArray[np.int64]]:
        """With ``settle_at``: a glance at the best lists, then the full search for unsettled queries only."""
        if self.settle_at is None or self.first_nprobe >= self._nprobe:
            return super()._rank(queries, wide, k)
        self._refresh()
        centroid_scores = self._centroid_scores(queries)
        glance = self._scan(queries, best_lists(centroid_scores, self.first_nprobe), max(k, min(wide, GLANCE)))
        scores, best = rerank(self._exact.vectors, queries, glance, k)
        unsettled = np.flatnonzero(scores[:, 0] < self.settle_at)
        if unsettled.size:
            probes = queries[unsettled]
            rows = self._scan(probes, best_lists(centroid_scores[unsettled], self._nprobe), wide)
            scores[unsettled], best[unsettled] = rerank(self._exact.vectors, probes, rows, k)
        return scores, best

    def _centroid_scores(self, queries: Vector) -> Vector:
        """Inner products with the centroids: faiss assigns each row to the list of the highest.

        The centroids are read in place, as a view of the coarse index's rows (no copy to keep in
        step or to count in ``nbytes``); they do not change after training.
        """
        dim = self._key.dim
        rows = self._faiss.rev_swig_ptr(self._coarse.get_xb(), self._nlist * dim)
        centroids: Vector = np.asarray(rows, dtype=np.float32).reshape(self._nlist, dim)
        return queries @ centroids.T

    def _scan(self, queries: Vector, lists: Lists, wide: int) -> npt.NDArray[np.int64]:
        """The ``wide`` best codes of each query within its given lists.

        faiss's C++ call directly, with the lists' count as a search parameter (its Python wrapper
        takes no parameters and would read the index's own ``nprobe``), so searches do not share
        state. No centroid scores are passed: the codes are of the templates, not of residuals, so
        a list's centroid adds nothing to its codes' scores (zeros give the same answers).
        """
        m = queries.shape[0]
        queries, lists = np.ascontiguousarray(queries, dtype=np.float32), np.ascontiguousarray(lists, dtype=np.int64)
        params = self._faiss.SearchParametersIVF()
        params.nprobe = lists.shape[1]
        distances, rows = np.empty((m, wide), dtype=np.float32), np.empty((m, wide), dtype=np.int64)
        ptr = self._faiss.swig_ptr
        centroid_scores = np.zeros(lists.shape, dtype=np.float32)
        self._index.search_preassigned_c(
            m, ptr(queries), wide, ptr(lists), ptr(centroid_scores), ptr(distances), ptr(rows), False, params
        )
        return rows

    def _new_index(self) -> Any:
        # Codes of the templates themselves, not of residuals: one lookup table per query instead of
        # one per probed list, and the same recall at the same nprobe (measured, decision 0028).
        coarse = self._faiss.IndexFlatIP(self._key.dim)
        index = self._faiss.IndexIVFPQFastScan(
            coarse, self._key.dim, self._nlist, self._subquantizers, 4, self._faiss.METRIC_INNER_PRODUCT
        )
        index.by_residual = False
        self._coarse = coarse  # faiss holds a raw pointer; keep the Python object alive with the index
        return index

    def _training_rows(self) -> int:
        return max(_TRAINING_ROWS, _ROWS_PER_LIST * self._nlist)

    def _min_training_rows(self) -> int:
        # The coarse k-means needs several rows a list; a smaller gallery is searched exactly.
        return max(_MIN_TRAINING_ROWS, 16 * self._nlist)
