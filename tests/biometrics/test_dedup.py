"""The two-threshold decision, and the simulated score distributions that justify the thresholds."""

from __future__ import annotations

import numpy as np
import pytest
from tests.factories import sim_matrix

from civicid.biometrics.dedup import DedupKind, decide, thresholds_for
from civicid.biometrics.ports import Candidate
from civicid.biometrics.simulated import SIM_FACE, SIM_FINGER, SimulatedModel


@pytest.mark.parametrize(
    ("score", "kind"),
    [
        (0.2, DedupKind.UNIQUE),
        (0.45, DedupKind.SUSPECTED_DUPLICATE),
        (0.59, DedupKind.SUSPECTED_DUPLICATE),
        (0.6, DedupKind.DUPLICATE),
    ],
)
def test_decide(score: float, kind: DedupKind) -> None:
    outcome = decide([Candidate("x", 0.1), Candidate("y", score)], duplicate_at=0.6, review_at=0.45)
    assert outcome.kind is kind
    assert outcome.best == Candidate("y", score)


def test_no_candidates_is_unique() -> None:
    assert decide([], duplicate_at=0.6, review_at=0.45).kind is DedupKind.UNIQUE


def test_thresholds_out_of_order_refused() -> None:
    with pytest.raises(ValueError, match="review_at"):
        decide([], duplicate_at=0.4, review_at=0.5)


@pytest.mark.parametrize(
    ("model", "mated_mean", "max_auto_miss", "max_review_miss"),
    [(SIM_FACE, 0.75, 0.03, 0.001), (SIM_FINGER, 0.62, 0.12, 0.02)],
)
def test_thresholds_against_simulated_distributions(
    model: SimulatedModel, mated_mean: float, max_auto_miss: float, max_review_miss: float
) -> None:
    a, b = sim_matrix(range(2000), 1, model), sim_matrix(range(2000), 2, model)
    mated = np.sum(a * b, axis=1)
    non_mated = (a[:200] @ b[200:400].T).ravel()  # 40,000 impostor pairs
    point = thresholds_for(model.model, model.version)
    assert abs(float(mated.mean()) - mated_mean) < 0.02
    assert abs(float(non_mated.std()) - 1 / np.sqrt(model.dim)) < 0.005
    # False non-match: mates below the automatic threshold go to review; below review they are missed.
    assert np.mean(mated < point.duplicate_at) <= max_auto_miss
    assert np.mean(mated < point.review_at) <= max_review_miss
    # False match: no impostor pair reaches review, let alone automatic rejection.
    assert float(non_mated.max()) < point.review_at
