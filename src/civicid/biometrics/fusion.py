"""Face finds, fingers decide: the score fusion of the dedup decision (decision 0061).

Face 1:N gives the candidates (every gallery face at or above the face model's ``review_at``). Each
candidate's fingers are then compared with the probe's, position by position, with bozorth3
(``nbis_finger.py``): a decision-level fusion, because the two scores live on different scales (a
cosine and bozorth3's integer count of matched minutiae pairs) and no mated fingerprint data exists
to learn a joint score from. The rule, per candidate:

============================  ==================  ==================  ========================
face score                    fingers confirm      fingers clear        no finger evidence
============================  ==================  ==================  ========================
≥ ``duplicate_at``            duplicate           suspected (review)   duplicate
≥ ``review_at``               duplicate           unique (cleared)     suspected (review)
============================  ==================  ==================  ========================

Fingers *confirm* when the best position scores at least :data:`CONFIRM_AT` (NIST's rule of thumb for
bozorth3: 40 is a match). They *clear* when at least :data:`MIN_COMPARED` positions were compared on
both sides and none scores above :data:`CLEAR_BELOW` (non-mated bozorth3 scores stay mostly under
20; twins and look-alikes share a face, not ridges). A strong face match that the fingers contradict
is never cleared automatically: a person looks at it (identical twins, or a print from another hand).
The application's outcome is the worst over its candidates: duplicate, then suspected, then unique.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from enum import StrEnum

from civicid.biometrics.dedup import DedupKind, DedupOutcome, Thresholds
from civicid.biometrics.finger_set import FingerSet
from civicid.biometrics.ports import Candidate, MinutiaeVerifier

CONFIRM_AT = 40.0
CLEAR_BELOW = 20.0
MIN_COMPARED = 2
_RANK = {DedupKind.UNIQUE: 0, DedupKind.SUSPECTED_DUPLICATE: 1, DedupKind.DUPLICATE: 2}


class FingerVerdict(StrEnum):
    CONFIRMS = "confirms"
    CLEARS = "clears"
    INCONCLUSIVE = "inconclusive"  # compared, but neither clearly mated nor clearly not
    ABSENT = "absent"  # no position with a template on both sides


@dataclass(frozen=True)
class FingerEvidence:
    """The fingers of a probe against one candidate's: the best position's score and how many were compared."""

    best: float | None
    compared: int

    @property
    def verdict(self) -> FingerVerdict:
        if self.best is None or self.compared == 0:
            return FingerVerdict.ABSENT
        if self.best >= CONFIRM_AT:
            return FingerVerdict.CONFIRMS
        if self.best < CLEAR_BELOW and self.compared >= MIN_COMPARED:
            return FingerVerdict.CLEARS
        return FingerVerdict.INCONCLUSIVE


@dataclass(frozen=True)
class FusedCandidate:
    """One face candidate with its finger evidence and the kind it leads to."""

    candidate: Candidate
    fingers: FingerEvidence
    kind: DedupKind


def compare_sets(probe: FingerSet, candidate: FingerSet, verifier: MinutiaeVerifier) -> FingerEvidence:
    """bozorth3 on every position both sets hold a template for (position i with position i)."""
    mine, theirs = probe.templates, candidate.templates
    scores = [verifier.score(mine[p], theirs[p]) for p in sorted(mine.keys() & theirs.keys())]
    return FingerEvidence(max(scores) if scores else None, len(scores))


def fused_kind(face_score: float, fingers: FingerEvidence, limits: Thresholds) -> DedupKind:
    """The table above, for one candidate."""
    verdict = fingers.verdict
    if face_score >= limits.duplicate_at:
        return DedupKind.SUSPECTED_DUPLICATE if verdict is FingerVerdict.CLEARS else DedupKind.DUPLICATE
    if face_score >= limits.review_at:
        if verdict is FingerVerdict.CONFIRMS:
            return DedupKind.DUPLICATE
        if verdict is FingerVerdict.CLEARS:
            return DedupKind.UNIQUE
        return DedupKind.SUSPECTED_DUPLICATE
    return DedupKind.UNIQUE


def fuse(
    candidates: Sequence[Candidate],
    *,
    limits: Thresholds,
    evidence: Callable[[Candidate], FingerEvidence],
) -> tuple[DedupOutcome, list[FusedCandidate]]:
    """The decision over the face candidates; ``evidence`` compares fingers for one candidate (called lazily).

    Only candidates at or above ``review_at`` are compared: below it the face alone says unique.
    """
    fused = [
        FusedCandidate(c, fingers, fused_kind(c.score, fingers, limits))
        for c in sorted(candidates, key=lambda c: c.score, reverse=True)
        if c.score >= limits.review_at
        for fingers in (evidence(c),)
    ]
    if not fused:
        best = max(candidates, key=lambda c: c.score, default=None)
        return DedupOutcome(DedupKind.UNIQUE, best), []
    worst = max(fused, key=lambda f: (_RANK[f.kind], f.candidate.score))
    return (
        DedupOutcome(
            worst.kind, worst.candidate, finger_score=worst.fingers.best, fingers_compared=worst.fingers.compared
        ),
        fused,
    )
