"""Shared biometric test data: seeded simulated identities."""

from __future__ import annotations

import numpy as np

from civicid.biometrics.ports import Template
from civicid.biometrics.simulated import SIM_FACE, SimulatedModel, capture_vector


def sim_template(identity: int, capture: int, model: SimulatedModel = SIM_FACE) -> Template:
    vector, quality = capture_vector(identity, capture, model)
    return Template(model.modality, model.model, model.version, vector, quality)


def sim_matrix(identities: range, capture: int, model: SimulatedModel = SIM_FACE) -> np.ndarray:
    return np.stack([capture_vector(i, capture, model)[0] for i in identities])
