"""Composition: real biometrics unless the simulator is chosen explicitly, and the pages are told which."""

from __future__ import annotations

from pathlib import Path

from civicid.biometrics.dlib_face import MODEL as DLIB
from civicid.biometrics.nbis_finger import nbis_available
from civicid.core.settings import Settings
from civicid.field.sources import CameraSource, SimulatedSource
from civicid.plugins import Plugins
from civicid.server import chosen_plugins


def test_a_deployment_uses_the_real_face_model_and_fingerprint_matcher_by_default(tmp_path: Path) -> None:
    plugins = Plugins(Settings(data_dir=tmp_path))
    assert {name: e.key.model for name, e in plugins.extractors().items()} == {"face": DLIB}
    assert (plugins.fingerprints() is not None) == nbis_available()
    assert isinstance(plugins.capture_source(), CameraSource)
    assert not plugins.capture_source().simulated
    assert not {"biometric_extractors", "capture_source"} & set(plugins.simulated)


def test_the_simulator_is_chosen_explicitly_and_says_so(tmp_path: Path) -> None:
    for plugins in (
        Plugins(Settings(data_dir=tmp_path, simulated_biometrics=True)),
        chosen_plugins(Settings(data_dir=tmp_path), simulated_biometrics=True),  # --simulated-biometrics
    ):
        assert {name: e.key.model for name, e in plugins.extractors().items()} == {
            "face": "civicid-sim-face",
            "finger": "civicid-sim-finger",
        }
        assert plugins.fingerprints() is None
        assert isinstance(plugins.capture_source(), SimulatedSource)
        assert {"biometric_extractors", "capture_source"} <= set(plugins.simulated)
