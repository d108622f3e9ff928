"""The dedup decision: two thresholds split a candidate list into unique, review and duplicate.

Operating points per model (research/biometrics.md §6: "thresholds live in config as operating
points per modality and model version"). The simulator's are chosen from its measured score
distributions (``tests/biometrics/test_dedup.py`` re-measures them):

* face (``civicid-sim-face``, 512-d): mated mean 0.75, sd 0.06; non-mated sd 0.044.
  ``duplicate_at=0.60`` is 13.6 non-mated sd above 0 (false match per comparison ≪ 10⁻²⁰, so no
  automatic rejection of an innocent person even against 100M) and catches ~98.5 % of mates
  automatically; ``review_at=0.45`` is 10 sd above 0 (a reviewer sees essentially no impostor) and is
  5 mated sd below the mated mean, so the remaining ~1.5 % of mates reach a person (FNIR ~10⁻⁶).
* finger (``civicid-sim-finger``, 256-d): mated mean 0.62, sd 0.09; non-mated sd 0.061.
  ``duplicate_at=0.50`` (8 sd; ~8 % of mates go to review) and ``review_at=0.35`` (5.6 sd: ~10⁻⁸ per comparison,
  ~1 % of mates missed; fingers adjudicate a few face candidates, they do not search 1:N).

A real model needs its own operating points measured on real mated data; dlib's are measured on a
handful of real portraits only (five people), a starting point that a pilot must re-measure.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum

from civicid.biometrics.ports import Candidate


class DedupKind(StrEnum):
    UNIQUE = "unique"
    SUSPECTED_DUPLICATE = "suspected_duplicate"  # goes to manual adjudication
    DUPLICATE = "duplicate"


@dataclass(frozen=True)
class DedupOutcome:
    """The decision and the face candidate it rests on; with fusion, that candidate's fingers too."""

    kind: DedupKind
    best: Candidate | None
    finger_score: float | None = None  # best bozorth3 score against ``best`` (fusion.py), None when not compared
    fingers_compared: int = 0


@dataclass(frozen=True)
class Thresholds:
    """An operating point: at or above ``duplicate_at`` reject, at or above ``review_at`` adjudicate."""

    duplicate_at: float
    review_at: float

    def __post_init__(self) -> None:
        if not self.review_at <= self.duplicate_at:
            raise ValueError("review_at must not exceed duplicate_at")


OPERATING_POINTS: dict[tuple[str, str], Thresholds] = {
    ("civicid-sim-face", "1"): Thresholds(duplicate_at=0.60, review_at=0.45),
    ("civicid-sim-finger", "1"): Thresholds(duplicate_at=0.50, review_at=0.35),
    # Measured on the vendored real portraits (docs/benchmarks.md "Real faces"; decision 0060): mated
    # cosines 0.95–0.97 after the documented transforms, non-mated 0.80–0.83 (dlib's L2 0.6 rule is 0.82,
    # too loose for 1:N). Fingers confirm or clear what falls between (fusion.py).
    ("dlib-resnet-128", "1"): Thresholds(duplicate_at=0.93, review_at=0.88),
}


def thresholds_for(model: str, model_version: str) -> Thresholds:
    """The configured operating point; a model without one cannot be used for dedup (KeyError)."""
    return OPERATING_POINTS[(model, model_version)]


def decide(candidates: Sequence[Candidate], *, duplicate_at: float, review_at: float) -> DedupOutcome:
    """Classify by the best candidate's score; no candidate above ``review_at`` means unique."""
    if review_at > duplicate_at:
        raise ValueError("review_at must not exceed duplicate_at")
    best = max(candidates, key=lambda c: c.score, default=None)
    if best is None or best.score < review_at:
        return DedupOutcome(DedupKind.UNIQUE, best)
    if best.score >= duplicate_at:
        return DedupOutcome(DedupKind.DUPLICATE, best)
    return DedupOutcome(DedupKind.SUSPECTED_DUPLICATE, best)
