"""Real biometrics: dlib face extraction on this machine, real-face score distributions, and fused dedup at 1M.

Three parts (issue 16):

1. **Face extraction per image** (the kit's and the server's real cost per capture): dlib's HOG
   detection, 5 landmarks and ResNet descriptor on each vendored portrait and its mated transforms
   (``tests/factories/faces.py``), and the kit's portrait check. Baseline in the same run: decoding
   the same JPEGs (what any capture costs anyway).
2. **Genuine and impostor scores** on those real portraits: cosine of dlib templates; genuine pairs
   only between *different photos* of one person (a photo and its own transforms are shown apart,
   they flatter the model); FMR and FNMR at the operating point of ``dedup.py``. The set is tiny
   (five people, three photos of one): it shows the model works and where the thresholds sit, not
   error rates anyone can rely on.
3. **The dedup decision at ``--size`` templates with fusion**: an exact gallery of synthetic unit
   vectors of dlib's dimension (128), mated probes at the real mated score measured in part 2, the
   top-5 search, then bozorth3 on the ten fingers of every candidate above ``review_at`` (synthetic
   prints from the simulated scanner, ``sim/fingerprints.py``). Baseline: the exact search alone,
   same run, same probes. The fusion's extra cost is a ratio to it.

    python -m bench.real_biometrics                   # 1,000,000 templates
    python -m bench.real_biometrics --size 100000 --singles 20
"""

from __future__ import annotations

import argparse
import io
import itertools
import statistics
import sys
import time
from pathlib import Path

import numpy as np
from PIL import Image

from bench.figures import Report, console, percentile
from civicid.biometrics.dedup import thresholds_for
from civicid.biometrics.dlib_face import MODEL, VERSION, DlibFaceExtractor, decode
from civicid.biometrics.finger_set import MissingReason, read_fingers
from civicid.biometrics.fingerprint import installed_verifier
from civicid.biometrics.fusion import SYNTHETIC_PRINTS, FingerEvidence, compare_sets, fuse
from civicid.biometrics.gallery import ExactGallery
from civicid.biometrics.portrait_quality import PortraitChecker
from civicid.biometrics.ports import Template, TemplateKey
from civicid.sim.fingerprints import impression

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # tests.factories.faces: the vendored portraits and their transforms

from tests.factories import faces  # noqa: E402

MATED_TRANSFORMS = ("crop", "rotate", "light", "jpeg")


def _load() -> str:
    return " ".join(Path("/proc/loadavg").read_text().split()[:3])


def extraction(report: Report) -> dict[tuple[str, str], np.ndarray]:
    """Part 1, and the templates part 2 needs: by (photo, transform)."""
    extractor = DlibFaceExtractor()
    checker = PortraitChecker()
    samples = {
        (name, how): (faces.portrait(name) if how == "original" else faces.transformed(name, how))
        for name in (*faces.SAME_PERSON, *faces.OTHERS)
        for how in ("original", *MATED_TRANSFORMS)
    }
    decode_s, extract_s, check_s = [], [], []
    templates: dict[tuple[str, str], np.ndarray] = {}
    extractor.extract(samples["obama-1", "original"])  # models loaded before timing
    for sample, data in samples.items():
        start = time.perf_counter()
        with Image.open(io.BytesIO(data)) as opened:
            opened.convert("RGB").load()
        decode_s.append(time.perf_counter() - start)
        start = time.perf_counter()
        templates[sample] = extractor.extract(data).vector
        extract_s.append(time.perf_counter() - start)
        start = time.perf_counter()
        checker.check(data)
        check_s.append(time.perf_counter() - start)
    size = decode(samples["obama-1", "original"]).shape
    report.context["portraits"] = f"{len(samples)} images of about {size[1]}×{size[0]} px (5 photos × 5 variants)"
    per_image = statistics.median(extract_s)
    report.add(
        "face template extraction, median per image",
        per_image * 1000,
        "ms",
        baseline=statistics.median(decode_s) * 1000,
        target="JPEG decode alone as baseline",
    )
    report.add("face templates per second (1 core)", 1 / per_image, "/s")
    report.add("extraction p95", percentile([s * 1000 for s in extract_s], 95), "ms")
    report.add("kit portrait check, median per image", statistics.median(check_s) * 1000, "ms")
    return templates


def distributions(report: Report, templates: dict[tuple[str, str], np.ndarray]) -> float:
    """Part 2; returns the mean genuine score between different photos (part 3's probes use it)."""
    person = {name: ("obama" if name in faces.SAME_PERSON else name) for name, _ in templates}
    genuine, same_photo, impostor = [], [], []
    for a, b in itertools.combinations(sorted(templates), 2):
        score = float(np.dot(templates[a], templates[b]))
        if person[a[0]] != person[b[0]]:
            impostor.append(score)
        elif a[0] == b[0]:
            same_photo.append(score)
        else:
            genuine.append(score)
    limits = thresholds_for(MODEL, VERSION)
    for label, scores in (
        ("genuine, different photos", genuine),
        ("same photo, transformed", same_photo),
        ("impostor", impostor),
    ):
        report.context[f"{label}: pairs, min / mean / max"] = (
            f"{len(scores)}, {min(scores):.3f} / {statistics.mean(scores):.3f} / {max(scores):.3f}"
        )
    for name, at in (("review_at", limits.review_at), ("duplicate_at", limits.duplicate_at)):
        fmr = sum(s >= at for s in impostor) / len(impostor)
        fnmr = sum(s < at for s in genuine) / len(genuine)
        report.add(f"FMR at {name} {at}", fmr, "", target=f"{len(impostor)} impostor pairs")
        report.add(f"FNMR at {name} {at}", fnmr, "", target=f"{len(genuine)} genuine pairs")
    return statistics.mean(genuine)


def fused_dedup(report: Report, size: int, singles: int, mated_cosine: float, seed: int) -> None:
    """Part 3."""
    verifier = installed_verifier()
    if verifier is None:
        console.print("[yellow]nbis-py not installed: no fusion figures[/]")
        return
    dim = 128
    key = TemplateKey("face", MODEL, VERSION, dim)
    console.print(f"generating {size:,} unit vectors of {dim} dimensions")
    rng = np.random.default_rng(seed)
    gallery = ExactGallery(key, capacity=size)
    for start in range(0, size, 65536):
        block = rng.standard_normal((min(65536, size - start), dim), dtype=np.float32)
        block /= np.linalg.norm(block, axis=1, keepdims=True)
        gallery.insert_matrix([f"r{i}" for i in range(start, start + block.shape[0])], block)
    # Mated probes: a gallery row moved to the mated cosine measured on the real portraits.
    rows = rng.choice(size, singles, replace=False)
    noise = rng.standard_normal((singles, dim)).astype(np.float32)
    base = gallery.vectors[rows]
    noise -= (noise * base).sum(axis=1, keepdims=True) * base
    noise /= np.linalg.norm(noise, axis=1, keepdims=True)
    probes = mated_cosine * base + np.sqrt(1 - mated_cosine**2) * noise
    templates = [Template(key.modality, MODEL, VERSION, p.astype(np.float32), 1.0) for p in probes]
    # Ten synthetic fingers per person: each probe's and its mate's are two touches of the same fingers.
    console.print("reading 2 × 10 synthetic fingerprints (mindtct)")
    probe_fingers = read_fingers(
        [impression(500 + f, 1) for f in range(10)], verifier=verifier, missing_reason=MissingReason.NOT_CAPTURED
    )
    mate_fingers = read_fingers(
        [impression(500 + f, 2) for f in range(10)], verifier=verifier, missing_reason=MissingReason.NOT_CAPTURED
    )
    limits = thresholds_for(MODEL, VERSION)
    search_ms, fused_ms, kinds, compared = [], [], [], []
    gallery.identify(templates[0], top_k=5)  # warm
    for probe in templates:
        start = time.perf_counter()
        gallery.identify(probe, top_k=5)
        search_ms.append((time.perf_counter() - start) * 1000)
    for probe in templates:
        start = time.perf_counter()
        candidates = gallery.identify(probe, top_k=5)

        def evidence(_: object) -> FingerEvidence:
            return compare_sets(probe_fingers, mate_fingers, verifier, SYNTHETIC_PRINTS)

        outcome, fused = fuse(candidates, limits=limits, evidence=evidence, finger_limits=SYNTHETIC_PRINTS)
        fused_ms.append((time.perf_counter() - start) * 1000)
        kinds.append(outcome.kind.value)
        compared.append(len(fused))
    report.add_latencies(
        f"dedup decision at {size:,} with fusion", fused_ms, baseline=search_ms, target="ratio to exact search"
    )
    report.context["fusion"] = (
        f"{singles} mated probes at cosine {mated_cosine:.3f}; candidates compared by fingers per probe: "
        f"mean {statistics.mean(compared):.2f}; decisions: "
        + ", ".join(f"{k} {kinds.count(k)}" for k in sorted(set(kinds)))
    )


def main(argv: list[str] | None = None) -> Report:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--size", type=int, default=1_000_000)
    parser.add_argument("--singles", type=int, default=30)
    parser.add_argument("--seed", type=int, default=16)
    args = parser.parse_args(argv)
    report = Report("real_biometrics")
    report.context["load at start"] = _load()
    templates = extraction(report)
    mated = distributions(report, templates)
    fused_dedup(report, args.size, args.singles, mated, args.seed)
    report.context["load at end"] = _load()
    report.print()
    report.save()
    return report


if __name__ == "__main__":
    main()
