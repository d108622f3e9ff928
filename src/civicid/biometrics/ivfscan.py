"""Approximate 1:N search: an inverted file in front of the 4-bit PQ fast scan, then the exact re-rank.

The flat fast scan (``fastscan.py``) reads every code for every query, so its lead over exact search
is a constant factor that shrank to ≈ 5.5× at 128-d once exact search ran near the GEMM limit
(docs/decisions/0026). Here a coarse quantiser of ``nlist`` k-means centroids splits the codes into
lists; a query scans only the ``nprobe`` lists whose centroids are nearest, a fraction
``nprobe / nlist`` of the gallery, and its ``candidates`` best codes are re-scored exactly as before.
On isotropic templates a probe's nearest centroids are a poor guide to its mate's list
(docs/decisions/0006), so ``nprobe`` must be a large share of ``nlist``; the defaults are the
measured point where the mated set still reaches the recall gate (docs/decisions/0028).

Everything else (training on a sample of the first large insert, inserts after training, deletes
re-coding on the next search, the exact fallback below the training size, the gate) is
:class:`~civicid.biometrics.fastscan.FastScanGallery`'s.
"""

from __future__ import annotations

from typing import Any

from civicid.biometrics.fastscan import _MIN_TRAINING_ROWS, _TRAINING_ROWS, FastScanGallery
from civicid.biometrics.ports import TemplateKey

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


class IVFFastScanGallery(FastScanGallery):
    """Approximate gallery: float32 rows for re-ranking plus 4-bit PQ codes in ``nlist`` inverted lists."""

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
    ) -> None:
        nlist = default_nlist(key.dim) if nlist is None else nlist
        nprobe = default_nprobe(nlist) if nprobe is None else nprobe
        if nlist < 1 or not 1 <= nprobe <= nlist:
            raise ValueError("nprobe must be between 1 and nlist")
        self._nlist = nlist
        super().__init__(key, subquantizers=subquantizers, candidates=candidates, capacity=capacity, seed=seed)
        self._index.cp.seed = seed
        self.nprobe = nprobe

    @property
    def nlist(self) -> int:
        return self._nlist

    @property
    def nprobe(self) -> int:
        """Lists scanned per query: the speed/recall knob, settable after the build (no re-training)."""
        return int(self._index.nprobe)

    @nprobe.setter
    def nprobe(self, value: int) -> None:
        if not 1 <= value <= self._nlist:
            raise ValueError("nprobe must be between 1 and nlist")
        self._index.nprobe = value

    @property
    def nbytes(self) -> int:
        """Bytes held for the live rows: float vectors, codes and the lists' 8-byte ids, plus centroids."""
        return super().nbytes + self.count() * 8 + self._nlist * self._key.dim * 4

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
