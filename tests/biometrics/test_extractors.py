"""Simulated extractors are deterministic; the verifier refuses mixed models; dlib when installed."""

from __future__ import annotations

import numpy as np
import pytest

from civicid.biometrics.dlib_face import DlibFaceExtractor, dlib_available
from civicid.biometrics.errors import ExtractionFailed, TemplateMismatch
from civicid.biometrics.ports import CosineVerifier, Extractor, Template
from civicid.biometrics.simulated import SimulatedFaceExtractor, SimulatedFingerExtractor, simulated_capture


@pytest.mark.parametrize("extractor", [SimulatedFaceExtractor(), SimulatedFingerExtractor()])
class TestSimulatedExtractor:
    def test_deterministic(self, extractor: Extractor) -> None:
        modality = extractor.key.modality
        first = extractor.extract(simulated_capture(42, 1, modality))
        again = extractor.extract(simulated_capture(42, 1, modality))
        np.testing.assert_array_equal(first.vector, again.vector)
        assert first.key == extractor.key
        assert first.model == f"civicid-sim-{modality}"
        assert first.model_version == "1"
        assert abs(float(np.linalg.norm(first.vector)) - 1) < 1e-5

    def test_mated_beats_non_mated(self, extractor: Extractor) -> None:
        modality = extractor.key.modality
        verifier = CosineVerifier()
        a = extractor.extract(simulated_capture(1, 1, modality))
        assert verifier.score(a, extractor.extract(simulated_capture(1, 2, modality))) > 0.4
        assert verifier.score(a, extractor.extract(simulated_capture(2, 1, modality))) < 0.3

    def test_garbage_refused(self, extractor: Extractor) -> None:
        with pytest.raises(ExtractionFailed):
            extractor.extract(b"\x89PNG not json")

    def test_other_modality_refused(self, extractor: Extractor) -> None:
        other = "finger" if extractor.key.modality == "face" else "face"
        with pytest.raises(ExtractionFailed):
            extractor.extract(simulated_capture(1, 1, other))


def test_verifier_refuses_other_version() -> None:
    a = SimulatedFaceExtractor().extract(simulated_capture(1, 1, "face"))
    b = Template(a.modality, a.model, "2", a.vector, a.quality)
    with pytest.raises(TemplateMismatch):
        CosineVerifier().score(a, b)


def test_template_must_be_unit_vector() -> None:
    with pytest.raises(ValueError, match="unit"):
        Template("face", "m", "1", np.ones(4, dtype=np.float32), 1.0)


@pytest.mark.skipif(not dlib_available(), reason="dlib-bin and face-recognition-models are not installed")
def test_dlib_extractor_refuses_an_image_without_face(tmp_path) -> None:  # type: ignore[no-untyped-def]
    import dlib  # type: ignore[import-not-found]

    path = tmp_path / "noise.png"
    dlib.save_image(np.random.default_rng(0).integers(0, 255, (200, 200, 3), dtype=np.uint8), str(path))
    extractor = DlibFaceExtractor()
    assert extractor.key.dim == 128
    with pytest.raises(ExtractionFailed, match="no face"):
        extractor.extract(path.read_bytes())
    with pytest.raises(ExtractionFailed):
        extractor.extract(b"not an image")
