"""Simulated biometric templates: seeded identities, each captured as often as a test needs."""

from __future__ import annotations

import numpy as np

from civicid.biometrics.gallery import ExactGallery
from civicid.biometrics.ports import Template
from civicid.biometrics.simulated import SIM_FACE, SimulatedModel, capture_vector

MATED_SIZE = 20_000
"""Identities in the mated set the approximate galleries are measured on."""


def sim_template(identity: int, capture: int, model: SimulatedModel = SIM_FACE) -> Template:
    vector, quality = capture_vector(identity, capture, model)
    return Template(model.modality, model.model, model.version, vector, quality)


def sim_matrix(identities: range, capture: int, model: SimulatedModel = SIM_FACE) -> np.ndarray:
    return np.stack([capture_vector(i, capture, model)[0] for i in identities])


def sim_ids(identities: range) -> list[str]:
    return [f"p{i}" for i in identities]


def sim_exact(size: int) -> ExactGallery:
    """An exact face gallery of identities ``p0`` … ``p<size-1>``, their first capture."""
    gallery = ExactGallery(SIM_FACE.key, capacity=size)
    gallery.insert_matrix(sim_ids(range(size)), sim_matrix(range(size), 1))
    return gallery
