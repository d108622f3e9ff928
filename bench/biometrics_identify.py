"""1:N biometric identification at 1,000,000 templates, 128 and 512 dimensions.

Targets (DESIGN.md decision 6, research/biometrics.md §4):
- exact search, batched and single, at ≥ 0.5 of this machine's matrix-multiply limit for the same
  work. Baselines measured in the same run: a bare chunked float32 GEMM of the same shapes into a
  preallocated buffer (batched) and a bare ``np.dot`` matrix-vector product (single);
- approximate (IVFFastScanGallery: an inverted file of ``--ivf-nlist`` lists in front of the 4-bit PQ
  fast scan, ``--ivf-nprobe`` lists scanned, exact re-rank, docs/decisions/0028; each ``nprobe`` in
  one round and in two, where a glance at the best sixth of the lists settles a probe whose best
  candidate reaches ``--settle-at``, docs/decisions/0031, with non-mated probes shown beside the
  mated ones because they never settle; FastScanGallery: the
  flat 4-bit PQ fast scan of every code, docs/decisions/0022; and SketchGallery: sign-projection
  sketches, Hamming top-k', exact re-rank) ≥ 10× exact,
  batched and single, with recall@1 ≥ 0.99 against exact on a mated set: queries are gallery vectors
  plus capture noise chosen so that the query-to-mate cosine follows the simulator's mated face
  distribution (mean ≈0.75). docs/decisions/0006-approximate-search.md explains the choice;
  ``--ivf`` adds the faiss IVF-Flat rows that show why IVF is not used (slow: minutes at 1M);
- memory per million templates: RSS growth while filling the gallery, and computed (N·d·4 B, plus
  N·bits/8 B of sketches).

    python -m bench.biometrics_identify                       # 1M at 128 and 512 dimensions
    python -m bench.biometrics_identify --size 100000 --dims 128
    python -m bench.biometrics_identify --bits 128 --candidates 64 --ivf
    python -m bench.biometrics_identify --no-sketch --ivf-nlist 4096 --ivf-nprobe 256,512
"""

from __future__ import annotations

import argparse
import importlib
import math
import os
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import psutil

from bench.figures import Report, console, latencies_ms, percentile
from civicid.biometrics.dedup import thresholds_for
from civicid.biometrics.errors import ApproximateSearchUnavailable
from civicid.biometrics.fastscan import FastScanGallery
from civicid.biometrics.gallery import ApproximateGallery, ExactGallery, chunk_rows, faiss_available
from civicid.biometrics.ivfscan import IVFFastScanGallery
from civicid.biometrics.ports import TemplateKey
from civicid.biometrics.rerank import RerankedGallery
from civicid.biometrics.simulated import SIM_FACE
from civicid.biometrics.sketch import DEFAULT_CANDIDATES, SketchGallery, default_bits


def _blas() -> str:
    try:
        threadpoolctl: Any = importlib.import_module("threadpoolctl")
        pools = threadpoolctl.threadpool_info()
        return "; ".join(
            f"{p.get('internal_api')} {p.get('version')} {p.get('architecture')} threads={p.get('num_threads')}"
            for p in pools
        )
    except ImportError:
        config: Any = np.show_config(mode="dicts")
        blas = config.get("Build Dependencies", {}).get("blas", {})
        return f"{blas.get('name')} {blas.get('version')} (threadpoolctl not installed)"


def _load() -> str:
    """The 1-, 5- and 15-minute load averages: this machine is shared, so every figure quotes them."""
    return " ".join(Path("/proc/loadavg").read_text().split()[:3])


def _rss() -> int:
    return int(psutil.Process().memory_info().rss)


def _unit_rows(n: int, dim: int, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    out = np.empty((n, dim), dtype=np.float32)
    for start in range(0, n, 65536):
        block = rng.standard_normal((min(65536, n - start), dim), dtype=np.float32)
        block /= np.linalg.norm(block, axis=1, keepdims=True)
        out[start : start + block.shape[0]] = block
    return out


def _mated_queries(gallery: np.ndarray, count: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Probes for ``count`` random gallery rows, at the simulator's capture-to-capture mated score."""
    rng = np.random.default_rng(seed)
    rows = rng.choice(gallery.shape[0], count, replace=False)
    spread = SIM_FACE.noise_spread
    s1, s2 = (SIM_FACE.noise_mean * np.exp(rng.normal(0, spread, count) - spread**2 / 2) for _ in range(2))
    s2_total = (1 + s1) * (1 + s2) - 1  # two captures' noise relative to one stored capture
    dim = gallery.shape[1]
    noise = rng.standard_normal((count, dim)).astype(np.float32) * np.sqrt(s2_total / dim)[:, None].astype(np.float32)
    probes = gallery[rows] + noise
    return (probes / np.linalg.norm(probes, axis=1, keepdims=True)).astype(np.float32), rows


def _gemm_seconds(matrix: np.ndarray, queries: np.ndarray, chunk: int, *, rows_first: bool) -> float:
    """A bare chunked sgemm of the same shapes into one preallocated buffer, in either orientation."""
    m = queries.shape[0]
    queries_t = np.ascontiguousarray(queries.T)
    out = np.empty((chunk, m) if rows_first else (m, chunk), dtype=np.float32)
    start = time.perf_counter()
    for s in range(0, matrix.shape[0], chunk):
        e = min(s + chunk, matrix.shape[0])
        if rows_first:
            np.matmul(matrix[s:e], queries_t, out=out[: e - s])
        else:
            np.matmul(queries, matrix[s:e].T, out=out[:, : e - s])
    return time.perf_counter() - start


def bench_dim(
    report: Report,
    size: int,
    dim: int,
    batch: int,
    singles: int,
    nprobes: list[int],
    seed: int,
    *,
    bits: int | None,
    candidates: int,
    skip_sketch: bool = False,
    skip_flat_scan: bool = False,
    exact_only: bool = False,
    ivf_nlist: int | None = None,
    ivf_nprobes: list[int] | None = None,
    settle_at: float | None = None,
) -> None:
    tag = f"{dim}-d"
    console.print(f"[bold]{tag}[/]: generating {size:,} unit vectors")
    source = _unit_rows(size, dim, seed)
    key = TemplateKey("face", "bench", "1", dim)
    ids = [f"r{i}" for i in range(size)]
    before = _rss()
    gallery = ExactGallery(key, capacity=size)
    gallery.insert_matrix(ids, source)
    grown = _rss() - before
    per_million = 1_000_000 / size
    report.add(
        f"{tag} memory / 1M templates, RSS growth",
        grown * per_million / 2**20,
        "MiB",
        baseline=size * dim * 4 * per_million / 2**20,
        target="≈ computed + ids",
    )
    del source
    matrix = gallery.vectors
    queries, mates = _mated_queries(matrix, batch, seed + 1)
    flops = 2.0 * size * dim * batch

    # Batched: the gallery's search against a bare GEMM of the same chunks (its own chunk size), the
    # faster of the two orientations (gallery rows × queries, or queries × gallery rows). The three
    # alternate, two rounds, best of each: the other work on this machine then weighs on both alike.
    chunk = chunk_rows(batch)
    gemm_s = exact_s = math.inf
    truth: np.ndarray | None = None
    for _ in range(2):
        for rows_first in (True, False):
            gemm_s = min(gemm_s, _gemm_seconds(matrix, queries, chunk, rows_first=rows_first))
        start = time.perf_counter()
        _scores, rows = gallery.search_rows(queries, 10)
        exact_s = min(exact_s, time.perf_counter() - start)
        truth = rows[:, 0]
    if truth is None:
        raise RuntimeError("no exact search ran")
    report.context[f"{tag} load average after exact batched"] = _load()
    report.add(
        f"{tag} exact batched ({batch} queries)", batch / exact_s, "q/s", baseline=batch / gemm_s, target="≥ 0.5× GEMM"
    )
    report.add(
        f"{tag} exact batched GFLOP/s",
        flops / exact_s / 1e9,
        "GFLOP/s",
        baseline=flops / gemm_s / 1e9,
        target="≥ 0.5× GEMM",
    )
    report.add(f"{tag} exact mate found at rank 1", float(np.mean(truth == mates)), "share", target="1.0")

    # Single queries: the gallery's search against a bare matrix-vector product.
    single = queries[:singles]
    np.dot(matrix, single[0])  # warm the pages and the BLAS threads
    base = latencies_ms(lambda i: np.dot(matrix, single[i]), singles)
    exact = latencies_ms(lambda i: gallery.search_rows(single[i : i + 1], 10), singles)
    report.add_latencies(f"{tag} exact single query", exact, baseline=base, target="≤ 2× sgemv")
    single_gflops = 2.0 * size * dim / (percentile(exact, 50) / 1000) / 1e9
    report.add(
        f"{tag} exact single GFLOP/s (p50)",
        single_gflops,
        "GFLOP/s",
        baseline=2.0 * size * dim / (percentile(base, 50) / 1000) / 1e9,
        target="≥ 0.5× sgemv",
    )

    if exact_only:
        return
    if not faiss_available():
        report.context[f"{tag} approximate"] = "skipped: faiss not installed"
        return
    if not skip_sketch:
        bench_sketch(report, tag, gallery, queries, mates, truth, exact_s, exact, bits=bits, candidates=candidates)
    nonmated = _unit_rows(batch, dim, seed + 2)  # probes of people not in the gallery: the enrollment case
    bench_ivfscan(
        report, tag, gallery, queries, mates, truth, exact_s, exact, ivf_nlist, ivf_nprobes or [], nonmated, settle_at
    )
    if not skip_flat_scan:
        bench_fastscan(report, tag, gallery, queries, mates, truth, exact_s, exact)
    if nprobes:
        bench_ivf(report, tag, gallery, queries, truth, exact_s, nprobes, seed)


def bench_sketch(
    report: Report,
    tag: str,
    gallery: ExactGallery,
    queries: np.ndarray,
    mates: np.ndarray,
    truth: np.ndarray,
    exact_s: float,
    exact_single: list[float],
    *,
    bits: int | None,
    candidates: int,
) -> None:
    size, dim = gallery.count(), gallery.key.dim
    bits = default_bits(dim) if bits is None else bits
    name = f"{tag} sketch {bits} bits, k'={candidates}"
    sketch = SketchGallery(gallery.key, bits=bits, candidates=candidates, capacity=size)
    _build(report, name, sketch, gallery, steps="copy + sketch")
    report.add(f"{name}: sketches alone / 1M", bits / 8 * 1_000_000 / 2**20, "MiB")
    _measure_first_stage(report, name, f"{tag} sketch", sketch, gallery, queries, mates, truth, exact_s, exact_single)


def bench_fastscan(
    report: Report,
    tag: str,
    gallery: ExactGallery,
    queries: np.ndarray,
    mates: np.ndarray,
    truth: np.ndarray,
    exact_s: float,
    exact_single: list[float],
) -> None:
    """The PQ 4-bit fast-scan first stage with an exact re-rank (docs/decisions/0022)."""
    size = gallery.count()
    fast = FastScanGallery(gallery.key, capacity=size)
    name = f"{tag} fast-scan PQ{fast.subquantizers}x4, k'={fast.candidates}"
    _build(report, name, fast, gallery)
    report.add(f"{name}: codes alone / 1M", size * fast.subquantizers / 2 * 1_000_000 / size / 2**20, "MiB")
    _measure_first_stage(report, name, f"{tag} fast-scan", fast, gallery, queries, mates, truth, exact_s, exact_single)


def _build(
    report: Report,
    name: str,
    approximate: FastScanGallery | SketchGallery,
    gallery: ExactGallery,
    *,
    steps: str = "copy + train + code",
) -> None:
    """Fill ``approximate`` from ``gallery`` (``steps``), timing it and measuring its memory."""
    before = _rss()
    start = time.perf_counter()
    approximate.insert_matrix(gallery.reference_ids, gallery.vectors)
    report.add(f"{name}: build ({steps})", time.perf_counter() - start, "s")
    per_million = 1_000_000 / gallery.count()
    report.add(
        f"{name}: memory / 1M, RSS growth",
        (_rss() - before) * per_million / 2**20,
        "MiB",
        baseline=approximate.nbytes * per_million / 2**20,
        target="≈ computed + ids",
    )


def bench_ivfscan(
    report: Report,
    tag: str,
    gallery: ExactGallery,
    queries: np.ndarray,
    mates: np.ndarray,
    truth: np.ndarray,
    exact_s: float,
    exact_single: list[float],
    nlist: int | None,
    nprobes: list[int],
    nonmated: np.ndarray,
    settle_at: float | None,
) -> None:
    """The inverted-file fast scan (decisions 0028, 0031): one build, then each ``nprobe`` measured.

    Each ``nprobe`` is measured in one round, and with ``settle_at`` also in two (its first sixth of
    lists, the rest only for probes not settled). Non-mated probes are measured too: they never
    settle, so the second rows show what the first-round stop does not buy for new enrollees.
    """
    ivf = IVFFastScanGallery(gallery.key, nlist=nlist, capacity=gallery.count())
    label = f"{tag} IVF{ivf.nlist} PQ{ivf.subquantizers}x4fs"
    _build(report, label, ivf, gallery)
    for nprobe in nprobes or [ivf.nprobe]:
        ivf.nprobe = nprobe
        for settle in (None, settle_at) if settle_at is not None else (None,):
            ivf.settle_at = settle
            rounds = "" if settle is None else f" (first {ivf.first_nprobe}, settled at {settle:.2f})"
            name = f"{label}, nprobe={nprobe}{rounds}, k'={ivf.candidates}"
            _measure_first_stage(report, name, name, ivf, gallery, queries, mates, truth, exact_s, exact_single)
            _measure_nonmated(report, name, ivf, nonmated, exact_s)


def _measure_nonmated(
    report: Report, name: str, approximate: RerankedGallery, nonmated: np.ndarray, exact_s: float
) -> None:
    """Batched speed on probes with no mate in the gallery, against exact search of the mated batch."""
    _add_batched(report, f"{name}: non-mated", approximate._search_rows, nonmated, exact_s, "(not a target: shown)")


def _add_batched(
    report: Report,
    name: str,
    search: Callable[[np.ndarray, int], tuple[np.ndarray, np.ndarray]],
    queries: np.ndarray,
    exact_s: float,
    target: str,
) -> np.ndarray:
    """Add the faster of two batched searches (top 10) as queries a second against exact; the rows found."""
    best_s, rows = math.inf, np.zeros((0, 1), dtype=np.int64)
    for _ in range(2):
        start = time.perf_counter()
        _scores, rows = search(queries, 10)
        best_s = min(best_s, time.perf_counter() - start)
    m = len(queries)
    report.add(f"{name} batched ({m} queries)", m / best_s, "q/s", baseline=m / exact_s, target=target)
    return rows


def _measure_first_stage(
    report: Report,
    name: str,
    gate_label: str,
    approximate: RerankedGallery,
    gallery: ExactGallery,
    queries: np.ndarray,
    mates: np.ndarray,
    truth: np.ndarray,
    exact_s: float,
    exact_single: list[float],
) -> None:
    """The same rows for every first stage: its recall gate, recall@1, batched and single-query speed.

    A configuration the gate refuses is still measured (through the ungated search) so that a sweep
    shows where the gate falls; its rows are named "(gate refused)".
    """
    search = approximate.search_rows
    try:
        gate = approximate.enable(gallery, queries[:200])  # the production gate, on a subset (it re-runs exact search)
        report.context[f"{gate_label} gate recall@1 (200 mated queries)"] = gate
    except ApproximateSearchUnavailable as refused:
        report.context[f"{gate_label} gate"] = f"refused: {refused}"
        name = f"{name} (gate refused)"
        search = approximate._search_rows
    rows = _add_batched(report, f"{name}:", search, queries, exact_s, "≥ 10× exact")
    report.add(f"{name}: recall@1 vs exact", float(np.mean(rows[:, 0] == truth)), "share", target="≥ 0.99")
    report.add(f"{name}: mate found at rank 1", float(np.mean(rows[:, 0] == mates)), "share", target="≥ 0.99")
    single = queries[: len(exact_single)]
    search(single[:1], 10)
    latencies = latencies_ms(lambda i: search(single[i : i + 1], 10), len(single))
    report.add_latencies(f"{name}: single query", latencies, baseline=exact_single, target="≤ 0.1× exact")
    for q in (50, 95):
        report.add(
            f"{name}: single speed-up p{q}",
            percentile(exact_single, q) / percentile(latencies, q),
            "×",
            target="≥ 10×",
        )


def bench_ivf(
    report: Report,
    tag: str,
    gallery: ExactGallery,
    queries: np.ndarray,
    truth: np.ndarray,
    exact_s: float,
    nprobes: list[int],
    seed: int,
) -> None:
    matrix, ids = gallery.vectors, gallery.reference_ids
    size = gallery.count()
    nlist = int(4 * math.sqrt(size))
    start = time.perf_counter()
    training = matrix[np.random.default_rng(seed + 2).choice(size, min(size, 40 * nlist), replace=False)]
    approximate = ApproximateGallery(gallery.key, training, nlist=nlist, nprobe=1)
    approximate.insert_matrix(ids, matrix)
    report.add(f"{tag} IVF{nlist},Flat build (train + add)", time.perf_counter() - start, "s")
    for nprobe in nprobes:
        approximate._index.nprobe = nprobe
        start = time.perf_counter()
        found = approximate._search(queries, 1)
        approx_s = time.perf_counter() - start
        recall = float(np.mean([row[0].reference_id == ids[t] for row, t in zip(found, truth, strict=True)]))
        report.add(f"{tag} IVF nprobe={nprobe} recall@1 vs exact", recall, "share", target="≥ 0.99")
        report.add(
            f"{tag} IVF nprobe={nprobe} batched",
            len(queries) / approx_s,
            "q/s",
            baseline=len(queries) / exact_s,
            target="≥ 10× exact",
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=1_000_000)
    parser.add_argument("--dims", default="128,512", help="comma-separated dimensions")
    parser.add_argument("--batch", type=int, default=1000)
    parser.add_argument("--singles", type=int, default=30)
    parser.add_argument("--bits", type=int, default=None, help="sketch bits (default: 256, or dim above 256)")
    parser.add_argument("--candidates", type=int, default=DEFAULT_CANDIDATES, help="sketch candidates re-ranked")
    parser.add_argument("--no-sketch", action="store_true", help="skip the binary-sketch rows")
    parser.add_argument("--no-flat-scan", action="store_true", help="skip the flat PQ fast-scan rows")
    parser.add_argument(
        "--ivf-nlist", type=int, default=None, help="IVF fast-scan lists (default: 4096 up to 256-d, else 1024)"
    )
    parser.add_argument(
        "--ivf-nprobe", default="", help="IVF lists scanned, comma-separated (default: 768 of 4096, 384 of 1024)"
    )
    parser.add_argument(
        "--settle-at",
        type=float,
        default=thresholds_for(SIM_FACE.model, SIM_FACE.version).duplicate_at,
        help="IVF two-round search: settle a probe at this score (default: the simulated face model's "
        "duplicate threshold; a negative value measures one round only)",
    )
    parser.add_argument("--exact-only", action="store_true", help="only the exact rows (and memory)")
    parser.add_argument("--ivf", action="store_true", help="also measure faiss IVF-Flat (minutes at 1M)")
    parser.add_argument("--nprobe", default="16,64,256,1024", help="comma-separated IVF nprobe values (with --ivf)")
    parser.add_argument("--seed", type=int, default=20261128)
    args = parser.parse_args()
    report = Report("biometrics_identify")
    report.context.update(
        {
            "size": args.size,
            "blas": _blas(),
            "OPENBLAS_CORETYPE": os.environ.get("OPENBLAS_CORETYPE", "(unset)"),
            "cpus": os.cpu_count(),
            "load average at start": _load(),
            "faiss": faiss_available(),
        }
    )
    console.print(f"BLAS: {report.context['blas']}")
    for dim in (int(d) for d in args.dims.split(",")):
        bench_dim(
            report,
            args.size,
            dim,
            args.batch,
            args.singles,
            [int(n) for n in args.nprobe.split(",")] if args.ivf else [],
            args.seed + dim,
            bits=args.bits,
            candidates=args.candidates,
            skip_sketch=args.no_sketch,
            skip_flat_scan=args.no_flat_scan,
            exact_only=args.exact_only,
            ivf_nlist=args.ivf_nlist,
            ivf_nprobes=[int(n) for n in args.ivf_nprobe.split(",") if n],
            settle_at=args.settle_at if args.settle_at >= 0 else None,
        )
    report.context["load average at end"] = _load()
    report.print()
    console.print(f"saved {report.save()}")


if __name__ == "__main__":
    main()
