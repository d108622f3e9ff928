"""Face finds, fingers decide: the fusion table, and synthetic prints confirming or clearing a face candidate."""

from __future__ import annotations

import functools
import io

import pytest
from PIL import Image

from civicid.biometrics import finger_set
from civicid.biometrics.dedup import DedupKind, Thresholds
from civicid.biometrics.errors import ExtractionFailed
from civicid.biometrics.finger_set import FingerSet, MissingReason, read_fingers
from civicid.biometrics.fingerprint import installed_verifier
from civicid.biometrics.fusion import (
    NBIS,
    SYNTHETIC_PRINTS,
    FingerEvidence,
    FingerVerdict,
    compare_sets,
    fuse,
    fused_kind,
)
from civicid.biometrics.nbis_finger import nbis_available
from civicid.biometrics.ports import Candidate, MinutiaeVerifier
from civicid.sim.fingerprints import impression

FACE = Thresholds(duplicate_at=0.93, review_at=0.88)
CONFIRMS, CLEARS, NOTHING = FingerEvidence(300.0, 4), FingerEvidence(60.0, 4), FingerEvidence(None, 0)
needs_nbis = pytest.mark.skipif(not nbis_available(), reason="nbis-py has no wheel for this platform")


@pytest.mark.parametrize(
    ("face", "fingers", "kind"),
    [
        (0.95, CONFIRMS, DedupKind.DUPLICATE),
        (0.95, NOTHING, DedupKind.DUPLICATE),
        (0.95, CLEARS, DedupKind.SUSPECTED_DUPLICATE),  # twins: a person looks, never cleared automatically
        (0.90, CONFIRMS, DedupKind.DUPLICATE),
        (0.90, CLEARS, DedupKind.UNIQUE),
        (0.90, NOTHING, DedupKind.SUSPECTED_DUPLICATE),
        (0.80, CONFIRMS, DedupKind.UNIQUE),  # below review_at the face alone says unique
    ],
)
def test_the_fusion_table(face: float, fingers: FingerEvidence, kind: DedupKind) -> None:
    assert fused_kind(face, fingers, FACE, SYNTHETIC_PRINTS) is kind


def test_one_finger_compared_never_clears() -> None:
    assert FingerEvidence(5.0, 1).verdict(NBIS) is FingerVerdict.INCONCLUSIVE
    assert FingerEvidence(5.0, 2).verdict(NBIS) is FingerVerdict.CLEARS
    assert FingerEvidence(40.0, 1).verdict(NBIS) is FingerVerdict.CONFIRMS


def test_the_worst_candidate_decides_and_carries_its_finger_score() -> None:
    evidence = {"cleared": CLEARS, "confirmed": CONFIRMS}
    candidates = [Candidate("cleared", 0.92), Candidate("confirmed", 0.89), Candidate("far", 0.5)]
    outcome, fused = fuse(
        candidates, limits=FACE, evidence=lambda c: evidence[c.reference_id], finger_limits=SYNTHETIC_PRINTS
    )
    assert outcome.kind is DedupKind.DUPLICATE
    assert outcome.best == Candidate("confirmed", 0.89)
    assert (outcome.finger_score, outcome.fingers_compared) == (300.0, 4)
    assert [f.candidate.reference_id for f in fused] == ["cleared", "confirmed"]  # "far" is not compared


@functools.cache
def _fingers(fingers: tuple[int, ...], touch: int) -> FingerSet:
    verifier = installed_verifier()
    assert verifier is not None
    images: list[bytes | None] = [impression(f, touch) for f in fingers]
    return read_fingers(images, verifier=verifier, missing_reason=MissingReason.WORN)


@needs_nbis
class TestSyntheticPrints:
    """The simulated scanner's prints: a mated set is confirmed, a non-mated one cleared."""

    def _verifier(self) -> MinutiaeVerifier:
        verifier = installed_verifier()
        assert verifier is not None
        return verifier

    def test_a_mated_set_confirms_a_face_candidate_in_the_review_band(self) -> None:
        mated = compare_sets(_fingers((301, 302, 303), 1), _fingers((301, 302, 303), 2), self._verifier())
        assert mated.compared == 3
        outcome, _ = fuse([Candidate("a", 0.90)], limits=FACE, evidence=lambda _: mated, finger_limits=SYNTHETIC_PRINTS)
        assert outcome.kind is DedupKind.DUPLICATE
        # NIST's threshold for real prints confirms them too.
        assert mated.verdict(NBIS) is FingerVerdict.CONFIRMS

    def test_a_non_mated_set_clears_it(self) -> None:
        other = compare_sets(_fingers((301, 302, 303), 1), _fingers((304, 305, 306), 2), self._verifier())
        assert other.compared == 3
        outcome, _ = fuse([Candidate("a", 0.90)], limits=FACE, evidence=lambda _: other, finger_limits=SYNTHETIC_PRINTS)
        assert outcome.kind is DedupKind.UNIQUE

    def test_missing_fingers_are_recorded_with_their_reason(self) -> None:
        fingers = _fingers((301, 302, 303), 1)
        assert sorted(fingers.templates) == [1, 2, 3]
        assert fingers.missing == dict.fromkeys(range(4, 11), MissingReason.WORN)
        again = finger_set.decode(finger_set.encode(fingers))
        assert again.missing == fingers.missing
        assert {p: t.record for p, t in again.templates.items()} == {p: t.record for p, t in fingers.templates.items()}

    def test_a_print_without_minutiae_is_recorded_as_damaged(self) -> None:
        blank = _blank_png()
        fingers = read_fingers([blank], verifier=self._verifier(), missing_reason=None)
        assert fingers.missing[1] is MissingReason.DAMAGED
        assert fingers.missing[2] is MissingReason.NOT_CAPTURED


def _blank_png() -> bytes:
    out = io.BytesIO()
    Image.new("L", (320, 320), 255).save(out, format="PNG")
    return out.getvalue()


@pytest.mark.parametrize("data", [b"", b"{}", b'{"format":"civicid-finger-set/1","fingers":[{"position":11}]}'])
def test_a_broken_finger_set_is_refused(data: bytes) -> None:
    with pytest.raises(ExtractionFailed):
        finger_set.decode(data)
