"""Exact running top k of many queries over score chunks, with a threshold pre-filter.

Exact 1:N search multiplies a batch of queries with one chunk of gallery rows at a time. At 128
dimensions the multiply is cheap enough (256 flops a score) that selecting the top k from every
score, with a partition per chunk, cost about as much as the multiply itself (docs/benchmarks.md,
1:N). :class:`RunningTopK` makes the selection nearly free once each query holds k candidates:

- every query keeps its k best so far and their worst score, its *threshold*; a later row can enter
  only with a score strictly above it (a tie cannot: rows arrive in increasing order and ties go to
  the lower row, see below);
- a chunk's scores are cut into blocks of :data:`BLOCK` columns and only each block's maximum is
  compared with the threshold (one vectorised pass over the scores, which are still in cache from
  the multiply). After the first chunks almost no block passes, and only the few that do are read
  again and merged.

Candidates are kept as one int64 *key* per (score, row): the score's float32 bits mapped to an
order-preserving integer in the high half, and the complement of the row in the low half. Keys
order exactly as "higher score first, then lower row", so a single integer partition or sort picks
the same top k as a brute-force stable sort by descending score, ties included.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from civicid.biometrics.ports import Vector

Keys = npt.NDArray[np.int64]
Rows = npt.NDArray[np.int64]

BLOCK = 32
"""Columns per block whose maximum is compared with the threshold (a strided set: see ``_offer``)."""

_EMPTY = np.iinfo(np.int64).min
_LOW = np.int64(0xFFFFFFFF)
_MAGNITUDE = np.int32(0x7FFFFFFF)


def encode(scores: Vector, rows: Rows) -> Keys:
    """Keys that order as (score descending, row ascending) when compared as integers.

    Adding 0.0 turns -0.0 into 0.0 so that the two zeros tie, as they do as floats. Rows must be
    below 2**32.
    """
    bits = np.add(scores, np.float32(0.0), dtype=np.float32).view(np.int32)
    ordered = np.where(bits < 0, bits ^ _MAGNITUDE, bits).astype(np.int64)
    return (ordered << 32) | (_LOW - rows)


def decode(keys: Keys) -> tuple[Vector, Rows]:
    """The scores and rows that :func:`encode` packed into ``keys``."""
    ordered = (keys >> 32).astype(np.int32)
    bits = np.where(ordered < 0, ordered ^ _MAGNITUDE, ordered).astype(np.int32)
    return bits.view(np.float32), _LOW - (keys & _LOW)


class RunningTopK:
    """The exact top k rows of ``m`` queries, fed score chunks in increasing row order.

    Feed (m, width) chunks with :meth:`add`; :meth:`result` gives scores and rows best first.
    """

    def __init__(self, m: int, k: int) -> None:
        self._k = k
        self._keys: Keys = np.full((m, k), _EMPTY, dtype=np.int64)
        self._threshold: Vector = np.full(m, -np.inf, dtype=np.float32)
        self._seen = 0

    def add(self, scores: Vector, start: int) -> None:
        """Offer the scores of rows ``start, start + 1, ...`` (one column each) for every query."""
        if self._seen == 0 and scores.shape[1] // BLOCK >= self._k:
            self._seed(scores)
            self._offer(scores, start)
        elif self._seen < self._k:
            self._merge_all(scores, start)
        else:
            self._offer(scores, start)
        self._seen += int(scores.shape[1])

    def result(self) -> tuple[Vector, Rows]:
        """Scores and rows (m, k), best first; equal scores in row order."""
        keys = np.sort(self._keys, axis=1)[:, ::-1]
        return decode(np.ascontiguousarray(keys))

    def _seed(self, scores: Vector) -> None:
        """A first threshold from the first chunk: each query's k-th best block maximum.

        k blocks have a maximum at or above it, so at least k rows score at or above it, and every
        row of the true top k does too. The threshold is moved one float below it because it starts
        as "at or above" (nothing is held yet) and :meth:`_offer` keeps only "strictly above".
        Encoding every score of the chunk instead would allocate 8 bytes per score, and fresh large
        arrays cost more in page faults here than the whole multiply of the chunk.
        """
        m, width = scores.shape
        blocks = width // BLOCK
        maxima = scores[:, : blocks * BLOCK].reshape(m, BLOCK, blocks).max(axis=1)
        kth = np.partition(maxima, blocks - self._k, axis=1)[:, blocks - self._k]
        self._threshold = np.nextafter(kth, np.float32(-np.inf)).astype(np.float32)

    def _merge_all(self, scores: Vector, start: int) -> None:
        # Until every query holds k rows there is no threshold: partition everything (small chunks only).
        width = scores.shape[1]
        keys = encode(scores, np.arange(start, start + width, dtype=np.int64)[None, :])
        merged = np.concatenate([self._keys, keys], axis=1)
        cut = merged.shape[1] - self._k
        self._keys = np.partition(merged, cut, axis=1)[:, cut:]
        self._update_threshold(np.arange(self._keys.shape[0]))

    def _offer(self, scores: Vector, start: int) -> None:
        m, width = scores.shape
        blocks = width // BLOCK
        whole = blocks * BLOCK
        queries: list[Rows] = []
        keys: list[Keys] = []
        if blocks:
            # Block j is the strided set of columns j, j + blocks, j + 2·blocks, ...: the maximum is
            # then a reduction over contiguous rows of ``blocks`` values, several times faster.
            maxima = scores[:, :whole].reshape(m, BLOCK, blocks).max(axis=1)
            hit_q, hit_b = np.nonzero(maxima > self._threshold[:, None])
            if hit_q.size:
                columns = hit_b[:, None] + blocks * np.arange(BLOCK, dtype=np.int64)
                values = scores[hit_q[:, None], columns]
                above = values > self._threshold[hit_q][:, None]
                queries.append(np.broadcast_to(hit_q[:, None], columns.shape)[above])
                keys.append(encode(values[above], start + columns[above]))
        if whole < width:
            tail = scores[:, whole:]
            tail_q, tail_c = np.nonzero(tail > self._threshold[:, None])
            queries.append(tail_q.astype(np.int64))
            keys.append(encode(tail[tail_q, tail_c], start + whole + tail_c.astype(np.int64)))
        if queries:
            self._insert(np.concatenate(queries), np.concatenate(keys))

    def _insert(self, queries: Rows, keys: Keys) -> None:
        """Merge candidate ``keys`` of ``queries`` (parallel, any order) into each query's k best."""
        if queries.size == 0:
            return
        k = self._k
        touched = np.unique(queries)
        pool_queries = np.concatenate([np.repeat(touched, k), queries])
        pool_keys = np.concatenate([self._keys[touched].ravel(), keys])
        order = np.lexsort((pool_keys, pool_queries))
        ends = np.searchsorted(pool_queries[order], touched, side="right")
        self._keys[touched] = pool_keys[order][ends[:, None] - k + np.arange(k)]
        self._update_threshold(touched)

    def _update_threshold(self, queries: Rows) -> None:
        worst = self._keys[queries].min(axis=1)
        scores, _rows = decode(worst)
        self._threshold[queries] = np.where(worst == _EMPTY, -np.inf, scores)
