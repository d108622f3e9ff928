"""The mated set's reference gallery, shared by the approximate galleries' tests."""

from __future__ import annotations

import pytest
from tests.factories import MATED_SIZE, sim_exact

from civicid.biometrics.gallery import ExactGallery


@pytest.fixture(scope="session")
def exact() -> ExactGallery:
    """The mated set's reference gallery, built once: the approximate galleries' tests only read it."""
    return sim_exact(MATED_SIZE)
