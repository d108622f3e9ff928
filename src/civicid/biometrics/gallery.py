"""Gallery implementations: exact search in a numpy matrix, and an optional faiss IVF index.

Exact search is the default because its recall is 1 by construction and, batched, it runs at the
machine's matrix-multiply speed (research/biometrics.md §4: ~10^11 multiply-adds/s on 2 vCPU, enough
for 1M dedups/day against 10M templates). Approximate galleries exist for galleries too big to scan,
and may only answer after a measured recall check against exact search (:class:`RecallGate`). The
recommended one is :class:`civicid.biometrics.sketch.SketchGallery` (binary sign-projection sketches
with an exact re-rank); the IVF gallery here is kept for clustered embeddings, on which it does well,
but misses mates on structure-free ones (docs/decisions/0006-approximate-search.md).
"""

from __future__ import annotations

import importlib
from collections.abc import Sequence
from typing import Any

import numpy as np
import numpy.typing as npt

from civicid.biometrics.errors import ApproximateSearchUnavailable, DuplicateReference, UnknownReference
from civicid.biometrics.ports import Candidate, Template, TemplateKey, Vector, stack
from civicid.biometrics.topk import BLOCK, RunningTopK

# Scores of one gallery chunk for a batch of queries are kept to about this many float32 values
# (32 MiB): a 1,000-query batch never materialises the 4 GB score matrix of 1M templates, and each
# multiply is long. Short multiplies cost more than their flops on a loaded machine: every BLAS call
# waits for its threads to be scheduled, and the selection has a fixed cost per chunk. Measured at
# 1M × 128-d, 1,000 queries, load ≈ 8 (docs/benchmarks.md, 1:N): best of two, 2^21 scores 15.5 s,
# 2^22 16.2 s, 2^23 10.4 s; a single query in 16,384-row chunks ran 5× slower than in one call.
_CHUNK_SCORES = 1 << 23


def chunk_rows(queries: int) -> int:
    """Gallery rows multiplied at once for a batch of ``queries``: a multiple of the selection block."""
    return max((_CHUNK_SCORES // max(queries, 1)) // BLOCK * BLOCK, BLOCK)


class ExactGallery:
    """Exhaustive cosine search over an in-memory float32 matrix of unit vectors.

    Rows live in a matrix with spare capacity that doubles when full (amortised O(1) insert);
    a delete moves the last row into the hole (O(1), order is irrelevant to search). A batch of
    queries is one matrix multiply per chunk of rows followed by a top-k selection that costs a
    small fraction of the multiply.
    """

    def __init__(self, key: TemplateKey, *, capacity: int = 1024) -> None:
        self._key = key
        self._matrix: Vector = np.zeros((max(capacity, 1), key.dim), dtype=np.float32)
        self._ids: list[str] = []
        self._rows: dict[str, int] = {}

    @property
    def key(self) -> TemplateKey:
        return self._key

    def count(self) -> int:
        return len(self._ids)

    def __contains__(self, reference_id: object) -> bool:
        return reference_id in self._rows

    @property
    def vectors(self) -> Vector:
        """A read-only view of the live rows (for building an approximate index and for benchmarks)."""
        view = self._matrix[: len(self._ids)]
        view.flags.writeable = False
        return view

    @property
    def reference_ids(self) -> list[str]:
        """Reference ids in row order (row i of :attr:`vectors` belongs to ``reference_ids[i]``)."""
        return list(self._ids)

    def insert(self, reference_id: str, template: Template) -> None:
        self._key.require_same(template.key)
        self._append(reference_id, template.vector)

    def insert_matrix(self, reference_ids: Sequence[str], vectors: npt.ArrayLike) -> None:
        """Bulk insert of already unit-normalised rows of this gallery's key (cache rebuilds, benchmarks)."""
        matrix = np.asarray(vectors, dtype=np.float32)
        if matrix.ndim != 2 or matrix.shape != (len(reference_ids), self._key.dim):
            raise ValueError(f"expected a ({len(reference_ids)}, {self._key.dim}) matrix, got {matrix.shape}")
        if len(set(reference_ids)) != len(reference_ids):
            raise DuplicateReference("the same reference appears twice in one bulk insert")
        for reference_id in reference_ids:
            if reference_id in self._rows:
                raise DuplicateReference(f"reference {reference_id} is already in the gallery")
        start = len(self._ids)
        self._reserve(start + len(reference_ids))
        self._matrix[start : start + len(reference_ids)] = matrix
        for offset, reference_id in enumerate(reference_ids):
            self._rows[reference_id] = start + offset
        self._ids.extend(reference_ids)

    def reference_at(self, row: int) -> str:
        """The reference of row ``row`` of :attr:`vectors`."""
        return self._ids[row]

    def row_of(self, reference_id: str) -> int:
        """The row of ``reference_id`` in :attr:`vectors` (rows move on delete: the last fills the hole)."""
        row = self._rows.get(reference_id)
        if row is None:
            raise UnknownReference(f"reference {reference_id} is not in the gallery")
        return row

    def delete(self, reference_id: str) -> None:
        row = self._rows.pop(reference_id, None)
        if row is None:
            raise UnknownReference(f"reference {reference_id} is not in the gallery")
        last = len(self._ids) - 1
        if row != last:
            moved = self._ids[last]
            self._matrix[row] = self._matrix[last]
            self._ids[row] = moved
            self._rows[moved] = row
        self._ids.pop()

    def identify(self, template: Template, top_k: int) -> list[Candidate]:
        return self.identify_batch([template], top_k)[0]

    def identify_batch(self, templates: Sequence[Template], top_k: int) -> list[list[Candidate]]:
        queries = stack(templates, self._key)
        return self.search_matrix(queries, top_k)

    def search_matrix(self, queries: Vector, top_k: int) -> list[list[Candidate]]:
        """Top-k candidates for each row of ``queries`` (m, dim), best first."""
        scores, rows = self.search_rows(queries, top_k)
        return [
            [Candidate(self._ids[int(r)], float(s)) for s, r in zip(score_row, row_row, strict=True)]
            for score_row, row_row in zip(scores, rows, strict=True)
        ]

    def search_rows(self, queries: Vector, top_k: int) -> tuple[Vector, npt.NDArray[np.int64]]:
        """Scores and row numbers (m, k) of the top k per query, best first; k = min(top_k, count).

        Exact: the same rows as a brute-force sort by descending score, equal scores in row order.
        The multiply runs chunk by chunk into one reused score buffer, and each chunk's scores go
        straight to a :class:`RunningTopK`, whose threshold pre-filter reads every score once and
        little else, so the selection is a small fraction of the multiply (the batch × N score
        matrix never exists). A single query is a matrix-vector product over the whole gallery.
        """
        if top_k < 1:
            raise ValueError("top_k must be at least 1")
        size, m = len(self._ids), int(queries.shape[0])
        k = min(top_k, size)
        if k == 0 or m == 0:
            return np.full((m, k), -np.inf, dtype=np.float32), np.zeros((m, k), dtype=np.int64)
        chunk = chunk_rows(m)
        queries = np.ascontiguousarray(queries, dtype=np.float32)
        # One score buffer for every chunk: a fresh result per chunk costs page faults that slowed
        # the multiply itself (docs/benchmarks.md, 1:N).
        buffer = np.empty((m, min(chunk, size)), dtype=np.float32)
        best = RunningTopK(m, k)
        for start in range(0, size, chunk):
            stop = min(start + chunk, size)
            scores = buffer[:, : stop - start]
            if m == 1:  # a matrix-vector product: numpy's GEMM path for (1, d) @ (d, rows) is slower
                np.matmul(self._matrix[start:stop], queries[0], out=scores[0])
            else:
                np.matmul(queries, self._matrix[start:stop].T, out=scores)  # (m, rows): one GEMM per chunk
            best.add(scores, start)
        return best.result()

    def _append(self, reference_id: str, vector: Vector) -> None:
        if reference_id in self._rows:
            raise DuplicateReference(f"reference {reference_id} is already in the gallery")
        row = len(self._ids)
        self._reserve(row + 1)
        self._matrix[row] = vector
        self._rows[reference_id] = row
        self._ids.append(reference_id)

    def _reserve(self, needed: int) -> None:
        capacity = self._matrix.shape[0]
        if needed <= capacity:
            return
        while capacity < needed:
            capacity *= 2
        grown = np.zeros((capacity, self._key.dim), dtype=np.float32)
        grown[: len(self._ids)] = self._matrix[: len(self._ids)]
        self._matrix = grown


def _faiss() -> Any:
    try:
        return importlib.import_module("faiss")
    except ImportError as exc:
        raise ApproximateSearchUnavailable(
            "approximate biometric search needs faiss: install the extra with `pip install civicid[biometrics-ann]`"
        ) from exc


def faiss_available() -> bool:
    try:
        _faiss()
    except ApproximateSearchUnavailable:
        return False
    return True


class RecallGate:
    """Refuse approximate answers until recall@1 against an exact gallery has been measured and is enough.

    Subclasses provide ``_key`` and ``_search`` (the ungated search); their public searches call
    :meth:`_require_enabled` first.
    """

    _key: TemplateKey
    recall: float | None = None

    def _search(self, queries: Vector, top_k: int) -> list[list[Candidate]]:
        raise NotImplementedError

    @property
    def enabled(self) -> bool:
        return self.recall is not None

    def _require_enabled(self) -> None:
        if not self.enabled:
            raise ApproximateSearchUnavailable("the approximate gallery answers only after enable() passed")

    def recall_check(self, exact: ExactGallery, queries: Vector, k: int = 1) -> float:
        """Share of queries whose exact top-k references all appear in this gallery's top-k."""
        if queries.shape[0] == 0:
            raise ValueError("a recall check needs queries")
        truth = exact.search_matrix(queries, k)
        found = self._search(queries, k)
        hits = sum(
            {c.reference_id for c in expected} <= {c.reference_id for c in got}
            for expected, got in zip(truth, found, strict=True)
        )
        return hits / len(truth)

    def enable(self, exact: ExactGallery, queries: Vector, *, min_recall: float = 0.99) -> float:
        """Measure recall@1 against ``exact``; answer searches from now on only if it reaches ``min_recall``."""
        self._key.require_same(exact.key)
        recall = self.recall_check(exact, queries, k=1)
        if recall < min_recall:
            self.recall = None
            raise ApproximateSearchUnavailable(
                f"approximate search recall@1 {recall:.4f} is below the required {min_recall:.4f}; "
                "search more candidates or use the exact gallery"
            )
        self.recall = recall
        return recall


class ApproximateGallery(RecallGate):
    """A faiss IVF-Flat index (inverted lists of full-precision vectors, inner product).

    IVF-Flat was chosen over HNSW: it builds in seconds rather than minutes on 2 vCPU, supports
    delete, and its one knob (``nprobe``, lists scanned per query) trades speed for recall
    predictably (research/biometrics.md §4). Scores are exact inner products of the vectors scanned;
    only a mate in a list that was not scanned is missed. That is why the gallery refuses to answer
    until :meth:`enable` has measured recall@1 against an exact gallery on a mated set.
    """

    def __init__(self, key: TemplateKey, training: Vector, *, nlist: int, nprobe: int) -> None:
        faiss = _faiss()
        if training.shape[0] < nlist:
            raise ValueError(f"IVF with {nlist} lists needs at least {nlist} training vectors")
        self._key = key
        self._quantizer = faiss.IndexFlatIP(key.dim)
        self._index = faiss.IndexIVFFlat(self._quantizer, key.dim, nlist, faiss.METRIC_INNER_PRODUCT)
        self._index.train(np.ascontiguousarray(training, dtype=np.float32))
        self._index.nprobe = nprobe
        self._faiss = faiss
        self._numbers: dict[str, int] = {}
        self._references: dict[int, str] = {}
        self._next = 0
        self.recall: float | None = None

    @classmethod
    def from_exact(
        cls, exact: ExactGallery, *, nlist: int, nprobe: int, queries: Vector, min_recall: float = 0.99
    ) -> ApproximateGallery:
        """An index trained on and filled with ``exact``'s templates, enabled if its recall check passes."""
        approximate = cls(exact.key, exact.vectors, nlist=nlist, nprobe=nprobe)
        approximate.insert_matrix(exact.reference_ids, exact.vectors)
        approximate.enable(exact, queries, min_recall=min_recall)
        return approximate

    @property
    def key(self) -> TemplateKey:
        return self._key

    def count(self) -> int:
        return len(self._numbers)

    def __contains__(self, reference_id: object) -> bool:
        return reference_id in self._numbers

    def insert(self, reference_id: str, template: Template) -> None:
        self._key.require_same(template.key)
        self.insert_matrix([reference_id], template.vector[None, :])

    def insert_matrix(self, reference_ids: Sequence[str], vectors: npt.ArrayLike) -> None:
        matrix = np.ascontiguousarray(vectors, dtype=np.float32)
        for reference_id in reference_ids:
            if reference_id in self._numbers:
                raise DuplicateReference(f"reference {reference_id} is already in the gallery")
        numbers = np.arange(self._next, self._next + len(reference_ids), dtype=np.int64)
        self._index.add_with_ids(matrix, numbers)
        for number, reference_id in zip(numbers.tolist(), reference_ids, strict=True):
            self._numbers[reference_id] = number
            self._references[number] = reference_id
        self._next += len(reference_ids)

    def delete(self, reference_id: str) -> None:
        number = self._numbers.pop(reference_id, None)
        if number is None:
            raise UnknownReference(f"reference {reference_id} is not in the gallery")
        del self._references[number]
        self._index.remove_ids(np.array([number], dtype=np.int64))

    def identify(self, template: Template, top_k: int) -> list[Candidate]:
        return self.identify_batch([template], top_k)[0]

    def identify_batch(self, templates: Sequence[Template], top_k: int) -> list[list[Candidate]]:
        return self.search_matrix(stack(templates, self._key), top_k)

    def search_matrix(self, queries: Vector, top_k: int) -> list[list[Candidate]]:
        self._require_enabled()
        return self._search(queries, top_k)

    def _search(self, queries: Vector, top_k: int) -> list[list[Candidate]]:
        if top_k < 1:
            raise ValueError("top_k must be at least 1")
        scores, numbers = self._index.search(np.ascontiguousarray(queries, dtype=np.float32), top_k)
        return [
            [
                Candidate(self._references[int(n)], float(s))
                for s, n in zip(score_row, number_row, strict=True)
                if n >= 0
            ]
            for score_row, number_row in zip(scores, numbers, strict=True)
        ]
