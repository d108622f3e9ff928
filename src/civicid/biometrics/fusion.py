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

Fingers *confirm* when the best position scores at least ``confirm_at`` (NIST's rule of thumb for
bozorth3: 40 is a match). They *clear* when at least :data:`MIN_COMPARED` positions were compared on
both sides and none scores ``clear_below`` or more (non-mated bozorth3 scores of real prints stay
mostly under 20; twins and look-alikes share a face, not ridges). These are the matcher's operating
point (:class:`FingerThresholds`), like the face model's: :data:`NBIS` is NIST's for real prints.
The simulator's synthetic prints are denser in minutiae than real ones (mindtct finds 60–90 where a
real plain impression gives about 40): their non-mated scores reach 93 and their mated ones start
near 300, so tests that fuse them say so with :data:`SYNTHETIC_PRINTS`, measured on them
(``tests/biometrics/test_fusion.py``). A strong face match that the fingers contradict
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

MIN_COMPARED = 2
_RANK = {DedupKind.UNIQUE: 0, DedupKind.SUSPECTED_DUPLICATE: 1, DedupKind.DUPLICATE: 2}


@dataclass(frozen=True)
class FingerThresholds:
    """A minutiae matcher's operating point: confirm at or above ``confirm_at``, clear below ``clear_below``."""

    confirm_at: float
    clear_below: float

    def __post_init__(self) -> None:
        if not self.clear_below <= self.confirm_at:
            raise ValueError("clear_below must not exceed confirm_at")


NBIS = FingerThresholds(confirm_at=40.0, clear_below=20.0)
"""NIST's bozorth3 guidance for real prints (NBIS user's guide: a score above 40 is usually a match)."""
SYNTHETIC_PRINTS = FingerThresholds(confirm_at=200.0, clear_below=150.0)
"""For the simulator's prints only: measured non-mated ≤ 93, mated ≥ 297 (``sim/fingerprints.py``)."""


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

    def verdict(self, limits: FingerThresholds) -> FingerVerdict:
        if self.best is None or self.compared == 0:
            return FingerVerdict.ABSENT
        if self.best >= limits.confirm_at:
            return FingerVerdict.CONFIRMS
        if self.best < limits.clear_below and self.compared >= MIN_COMPARED:
            return FingerVerdict.CLEARS
        return FingerVerdict.INCONCLUSIVE


@dataclass(frozen=True)
class FusedCandidate:
    """One face candidate with its finger evidence and the kind it leads to."""

    candidate: Candidate
    fingers: FingerEvidence
    kind: DedupKind


ENOUGH_TO_CLEAR = 4
"""Positions that, all below ``clear_below``, settle a candidate as cleared without comparing the rest."""


def compare_sets(
    probe: FingerSet, candidate: FingerSet, verifier: MinutiaeVerifier, limits: FingerThresholds | None = None
) -> FingerEvidence:
    """bozorth3 position by position (position i with position i), on the positions both sets hold.

    With ``limits`` it stops as soon as the answer is known: at the first position that confirms, or
    after :data:`ENOUGH_TO_CLEAR` positions all below ``clear_below``. bozorth3 costs tens of
    milliseconds a pair on dense prints; a mated candidate then costs one comparison, not ten.
    """
    mine, theirs = probe.templates, candidate.templates
    scores: list[float] = []
    for position in sorted(mine.keys() & theirs.keys()):
        scores.append(verifier.score(mine[position], theirs[position]))
        if limits is None:
            continue
        if scores[-1] >= limits.confirm_at:
            break
        if len(scores) >= ENOUGH_TO_CLEAR and max(scores) < limits.clear_below:
            break
    return FingerEvidence(max(scores) if scores else None, len(scores))


def fused_kind(
    face_score: float, fingers: FingerEvidence, limits: Thresholds, finger_limits: FingerThresholds = NBIS
) -> DedupKind:
    """The table above, for one candidate."""
    verdict = fingers.verdict(finger_limits)
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
    finger_limits: FingerThresholds = NBIS,
) -> tuple[DedupOutcome, list[FusedCandidate]]:
    """The decision over the face candidates; ``evidence`` compares fingers for one candidate (called lazily).

    Only candidates at or above ``review_at`` are compared: below it the face alone says unique.
    """
    fused = [
        FusedCandidate(c, fingers, fused_kind(c.score, fingers, limits, finger_limits))
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
