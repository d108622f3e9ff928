"""The shape every approximate gallery here shares: a cheap first stage, then an exact re-rank.

A first stage (binary sketches in ``sketch.py``, 4-bit PQ fast scan in ``fastscan.py``) proposes
``candidates`` rows per query; :func:`rerank` scores only those against the float32 rows a private
:class:`~civicid.biometrics.gallery.ExactGallery` holds, so the scores returned are exact cosines and
only a mate the first stage did not propose is missed. :class:`RerankedGallery` is everything but
the first stage: the gallery port, the recall gate, the re-rank.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import numpy.typing as npt

from civicid.biometrics.gallery import ExactGallery, RecallGate
from civicid.biometrics.ports import Candidate, Template, TemplateKey, Vector, stack

# Queries re-ranked at a time: bounds the gathered (queries, candidates, dim) float32 block to a few MiB.
_RERANK_CELLS = 1 << 21


def rerank(
    vectors: Vector, queries: Vector, rows: npt.NDArray[np.int64], k: int
) -> tuple[Vector, npt.NDArray[np.int64]]:
    """Exact cosine of each query against its candidate rows (m, wide); the best k, best first.

    A first stage may return -1 where it found fewer candidates than asked: those score -inf.
    """
    m, wide = rows.shape
    scores = np.empty((m, wide), dtype=np.float32)
    safe = np.maximum(rows, 0)
    step = max(1, _RERANK_CELLS // (wide * vectors.shape[1]))
    for start in range(0, m, step):
        stop = min(start + step, m)
        gathered = np.take(vectors, safe[start:stop], axis=0)  # (queries, wide, dim)
        scores[start:stop] = np.matmul(gathered, queries[start:stop, :, None])[:, :, 0]
    scores[rows < 0] = -np.inf
    order = np.argsort(-scores, axis=1, kind="stable")[:, :k]
    return np.take_along_axis(scores, order, 1), np.take_along_axis(rows, order, 1).astype(np.int64)


class RerankedGallery(RecallGate):
    """An approximate gallery over the rows of a private :class:`ExactGallery`; subclasses give the first stage.

    Subclasses set ``_key``, ``_exact`` and ``candidates`` and implement :meth:`insert_matrix`,
    ``delete`` and :meth:`_first_stage`. Public searches answer only once :meth:`enable` passed.
    """

    _exact: ExactGallery
    candidates: int

    @property
    def key(self) -> TemplateKey:
        return self._key

    def count(self) -> int:
        return self._exact.count()

    def __contains__(self, reference_id: object) -> bool:
        return reference_id in self._exact

    def insert(self, reference_id: str, template: Template) -> None:
        self._key.require_same(template.key)
        self.insert_matrix([reference_id], template.vector[None, :])

    def insert_matrix(self, reference_ids: Sequence[str], vectors: npt.ArrayLike) -> None:
        raise NotImplementedError

    def identify(self, template: Template, top_k: int) -> list[Candidate]:
        return self.identify_batch([template], top_k)[0]

    def identify_batch(self, templates: Sequence[Template], top_k: int) -> list[list[Candidate]]:
        return self.search_matrix(stack(templates, self._key), top_k)

    def search_matrix(self, queries: Vector, top_k: int) -> list[list[Candidate]]:
        """Top-k candidates for each row of ``queries`` (m, dim), best first, with exact cosine scores."""
        self._require_enabled()
        return self._search(queries, top_k)

    def search_rows(self, queries: Vector, top_k: int) -> tuple[Vector, npt.NDArray[np.int64]]:
        """Scores and rows (m, k) of the re-ranked top k, best first; k = min(top_k, count). Gated.

        A row is -1 (score -inf) where the first stage proposed fewer than k candidates.
        """
        self._require_enabled()
        return self._search_rows(queries, top_k)

    def _search(self, queries: Vector, top_k: int) -> list[list[Candidate]]:
        scores, rows = self._search_rows(queries, top_k)
        reference_at = self._exact.reference_at
        return [
            [Candidate(reference_at(int(r)), float(s)) for s, r in zip(score_row, row_row, strict=True) if r >= 0]
            for score_row, row_row in zip(scores, rows, strict=True)
        ]

    def _search_rows(self, queries: Vector, top_k: int) -> tuple[Vector, npt.NDArray[np.int64]]:
        if top_k < 1:
            raise ValueError("top_k must be at least 1")
        queries = np.ascontiguousarray(queries, dtype=np.float32)
        size, m = self._exact.count(), int(queries.shape[0])
        k = min(top_k, size)
        if k == 0 or m == 0:
            return np.zeros((m, k), dtype=np.float32), np.zeros((m, k), dtype=np.int64)
        return self._rank(queries, min(max(self.candidates, top_k), size), k)

    def _rank(self, queries: Vector, wide: int, k: int) -> tuple[Vector, npt.NDArray[np.int64]]:
        """The first stage's ``wide`` candidates, re-ranked exactly; a subclass may search in rounds."""
        return rerank(self._exact.vectors, queries, self._first_stage(queries, wide), k)

    def _first_stage(self, queries: Vector, wide: int) -> npt.NDArray[np.int64]:
        """Candidate rows (m, wide) per query; -1 where fewer were found."""
        raise NotImplementedError
