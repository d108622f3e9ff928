"""Approximate 1:N search by binary sign-projection sketches with an exact re-rank.

Each template is sketched as ``bits`` signs of random Gaussian projections (SimHash, Charikar 2002):
for two unit vectors at angle θ, each bit differs with probability θ/π, so the Hamming distance of
two sketches estimates the angle, i.e. the cosine. A search scans the sketches (faiss Hamming
top-k, a few popcounts per template instead of ``dim`` multiply-adds) for ``candidates``
references, then scores only those against the full float32 vectors and returns the exact top k
of them. Scores are therefore exact cosines; only a mate whose sketch is not among the
``candidates`` nearest is missed. Unlike an IVF partition this needs no structure in the data:
on isotropic embeddings a mate at cosine 0.75 (θ ≈ 41°, 23 % of bits differ) stands far from
non-mates at cosine ≈ 0 (50 % of bits differ). See docs/decisions/0006-approximate-search.md.

The projection matrix is drawn from a fixed seed, kept with the gallery (:attr:`SketchGallery.seed`,
:attr:`SketchGallery.bits`), so the same templates always give the same sketches.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import numpy.typing as npt

from civicid.biometrics.gallery import ExactGallery, _faiss
from civicid.biometrics.ports import TemplateKey, Vector
from civicid.biometrics.rerank import RerankedGallery

DEFAULT_SEED = 0x5EED_0006
DEFAULT_CANDIDATES = 32
# Rows sketched at a time (bounds the (rows, bits) projection buffer).
_ENCODE_ROWS = 1 << 15

Codes = npt.NDArray[np.uint8]


def default_bits(dim: int) -> int:
    """256 bits up to 256 dimensions, else one bit per dimension (rounded up to a multiple of 64)."""
    return max(256, -(-dim // 64) * 64)


class SketchGallery(RerankedGallery):
    """Approximate gallery: float32 rows for re-ranking plus a ``bits``-bit sketch per row.

    The float rows live in a private :class:`ExactGallery`; sketch row i belongs to its row i, and a
    delete moves the last sketch into the hole exactly as the exact gallery moves the last row, so
    the two stay aligned without a rebuild. Memory is ``dim·4 + bits/8`` bytes per template. Like
    every approximate gallery it answers only after :meth:`enable` has measured recall@1 against an
    exact gallery on a mated set.
    """

    def __init__(
        self,
        key: TemplateKey,
        *,
        bits: int | None = None,
        candidates: int = DEFAULT_CANDIDATES,
        seed: int = DEFAULT_SEED,
        capacity: int = 1024,
    ) -> None:
        self._faiss = _faiss()
        bits = default_bits(key.dim) if bits is None else bits
        if bits < 8 or bits % 8:
            raise ValueError("bits must be a positive multiple of 8")
        if candidates < 1:
            raise ValueError("candidates must be at least 1")
        self._key = key
        self._bits = bits
        self._seed = seed
        self.candidates = candidates
        self._projection: Vector = np.random.default_rng(seed).standard_normal((key.dim, bits), dtype=np.float32)
        self._exact = ExactGallery(key, capacity=capacity)
        self._codes: Codes = np.zeros((max(capacity, 1), bits // 8), dtype=np.uint8)
        self.recall: float | None = None

    @classmethod
    def from_exact(
        cls,
        exact: ExactGallery,
        *,
        queries: Vector,
        bits: int | None = None,
        candidates: int = DEFAULT_CANDIDATES,
        seed: int = DEFAULT_SEED,
        min_recall: float = 0.99,
    ) -> SketchGallery:
        """A sketch gallery holding a copy of ``exact``'s templates, enabled if its recall check passes."""
        sketch = cls(exact.key, bits=bits, candidates=candidates, seed=seed, capacity=exact.count())
        sketch.insert_matrix(exact.reference_ids, exact.vectors)
        sketch.enable(exact, queries, min_recall=min_recall)
        return sketch

    @property
    def bits(self) -> int:
        return self._bits

    @property
    def seed(self) -> int:
        """The seed of the projection matrix: store it with the sketches to reproduce them."""
        return self._seed

    @property
    def nbytes(self) -> int:
        """Bytes held for the live rows: float vectors plus sketches (ids and dicts not counted)."""
        return self.count() * (self._key.dim * 4 + self._bits // 8)

    def sketch(self, vectors: npt.ArrayLike) -> Codes:
        """The packed sketches (m, bits/8) of unit rows (m, dim): bit j is 1 where row·projection[:, j] > 0."""
        matrix = np.asarray(vectors, dtype=np.float32)
        out: Codes = np.empty((matrix.shape[0], self._bits // 8), dtype=np.uint8)
        for start in range(0, matrix.shape[0], _ENCODE_ROWS):
            stop = min(start + _ENCODE_ROWS, matrix.shape[0])
            out[start:stop] = np.packbits(matrix[start:stop] @ self._projection > 0, axis=1)
        return out

    def insert_matrix(self, reference_ids: Sequence[str], vectors: npt.ArrayLike) -> None:
        """Bulk insert of unit-normalised rows of this gallery's key (validated by the exact gallery)."""
        matrix = np.asarray(vectors, dtype=np.float32)
        start = self._exact.count()
        self._exact.insert_matrix(reference_ids, matrix)
        stop = self._exact.count()
        self._reserve(stop, keep=start)
        self._codes[start:stop] = self.sketch(matrix)

    def delete(self, reference_id: str) -> None:
        row = self._exact.row_of(reference_id)
        last = self._exact.count() - 1
        self._exact.delete(reference_id)
        self._codes[row] = self._codes[last]

    def _first_stage(self, queries: Vector, wide: int) -> npt.NDArray[np.int64]:
        size = self._exact.count()
        _distances, rows = self._faiss.knn_hamming(self.sketch(queries), self._codes[:size], wide)
        return np.asarray(rows, dtype=np.int64)

    def _reserve(self, needed: int, *, keep: int) -> None:
        """Room for ``needed`` rows, keeping the first ``keep`` codes (those already written)."""
        capacity = self._codes.shape[0]
        if needed <= capacity:
            return
        while capacity < needed:
            capacity *= 2
        grown: Codes = np.zeros((capacity, self._bits // 8), dtype=np.uint8)
        grown[:keep] = self._codes[:keep]
        self._codes = grown
