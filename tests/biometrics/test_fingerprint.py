"""Fingerprint 1:1 for adjudication: the synthetic prints, the image framing, and the real matcher."""

from __future__ import annotations

import functools
import io
import itertools

import numpy as np
import pytest
from PIL import Image

from civicid.biometrics import fingerprint
from civicid.biometrics.errors import ExtractionFailed, TemplateMismatch
from civicid.biometrics.fingerprint import compare_images, installed_verifier, split_images
from civicid.biometrics.nbis_finger import MATCH_THRESHOLD, nbis_available
from civicid.biometrics.ports import MinutiaeTemplate, MinutiaeVerifier
from civicid.field.sources import join_fingerprint_images
from civicid.sim.fingerprints import impression

needs_nbis = pytest.mark.skipif(not nbis_available(), reason="the fingerprint extra (nbis-py) is not installed")


class TestSyntheticPrints:
    def test_deterministic_png(self) -> None:
        image = impression(3, 1)
        assert image == impression(3, 1)
        pixels = np.asarray(Image.open(io.BytesIO(image)))
        assert pixels.dtype == np.uint8
        assert pixels.ndim == 2
        assert pixels.min() < 40
        assert pixels.max() > 215

    def test_captures_of_one_finger_differ(self) -> None:
        assert impression(3, 1) != impression(3, 2)
        assert impression(3, 1) != impression(4, 1)


class TestFraming:
    def test_split_undoes_the_field_kits_join(self) -> None:
        images = [b"first", b"", b"\x00\x01third"]
        assert split_images(join_fingerprint_images(images)) == images
        assert split_images(b"") == []

    @pytest.mark.parametrize("broken", [b"\x00\x00", b"\x00\x00\x00\x09short"])
    def test_broken_framing_is_refused(self, broken: bytes) -> None:
        with pytest.raises(ValueError, match="cut short"):
            split_images(broken)


class _ByteVerifier(MinutiaeVerifier):
    """A stand-in matcher: a template is the image's first byte, the score 100 when equal."""

    model = "test"
    model_version = "1"

    def extract(self, image: bytes) -> MinutiaeTemplate:
        if not image:
            raise ExtractionFailed("empty")
        return MinutiaeTemplate(self.model, self.model_version, image[:1], 1)

    def score(self, a: MinutiaeTemplate, b: MinutiaeTemplate) -> float:
        return 100.0 if a.record == b.record else 5.0


def test_compare_pairs_fingers_by_position() -> None:
    first = join_fingerprint_images([b"a", b"b", b"", b"d"])
    second = join_fingerprint_images([b"x", b"b", b"c"])
    result = compare_images(first, second, verifier=_ByteVerifier())
    assert [(f.position, f.score) for f in result.fingers] == [(1, 5.0), (2, 100.0), (3, None)]
    assert result.best == 100.0
    assert result.is_match
    assert (result.model, result.model_version, result.threshold) == ("test", "1", MATCH_THRESHOLD)
    nothing = compare_images(first, join_fingerprint_images([b""]), verifier=_ByteVerifier())
    assert nothing.best is None
    assert not nothing.is_match


def test_no_verifier_without_the_extra(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(fingerprint, "nbis_available", lambda: False)
    installed_verifier.cache_clear()
    try:
        assert installed_verifier() is None
    finally:
        installed_verifier.cache_clear()


@functools.cache
def _templates() -> dict[tuple[int, int], MinutiaeTemplate]:
    verifier = installed_verifier()
    assert verifier is not None
    fingers = itertools.product((1, 2, 3), (1, 2))
    return {(finger, capture): verifier.extract(impression(finger, capture)) for finger, capture in fingers}


@needs_nbis
class TestNbisMatcher:
    def test_is_a_minutiae_verifier_with_model_and_version(self) -> None:
        verifier = installed_verifier()
        assert isinstance(verifier, MinutiaeVerifier)
        template = _templates()[1, 1]
        assert template.model == verifier.model == "nist-nbis-mindtct-bozorth3"
        assert template.model_version == verifier.model_version != ""
        assert template.minutiae >= 20
        assert template.record

    def test_mated_pairs_score_above_non_mated(self) -> None:
        verifier = installed_verifier()
        assert verifier is not None
        templates = _templates()
        mated = [verifier.score(templates[f, 1], templates[f, 2]) for f in (1, 2, 3)]
        non_mated = [verifier.score(templates[f, 1], templates[g, 2]) for f, g in itertools.permutations((1, 2, 3), 2)]
        assert min(mated) > max(non_mated)
        assert min(mated) >= MATCH_THRESHOLD

    def test_compare_images_end_to_end(self) -> None:
        verifier = installed_verifier()
        assert verifier is not None
        same = compare_images(
            join_fingerprint_images([impression(5, 1)]), join_fingerprint_images([impression(5, 2)]), verifier=verifier
        )
        other = compare_images(
            join_fingerprint_images([impression(5, 1)]), join_fingerprint_images([impression(6, 2)]), verifier=verifier
        )
        assert same.best is not None
        assert other.best is not None
        assert same.best > other.best
        assert same.is_match

    def test_other_model_version_refused(self) -> None:
        verifier = installed_verifier()
        assert verifier is not None
        template = _templates()[1, 1]
        older = MinutiaeTemplate(template.model, "0.0.1", template.record, template.minutiae)
        with pytest.raises(TemplateMismatch):
            verifier.score(template, older)

    @pytest.mark.parametrize("data", [b"", b"not an image", b"\x89PNG\r\n\x1a\ncut"])
    def test_unreadable_image_fails_extraction(self, data: bytes) -> None:
        verifier = installed_verifier()
        assert verifier is not None
        with pytest.raises(ExtractionFailed):
            verifier.extract(data)

    def test_blank_image_has_no_minutiae(self) -> None:
        verifier = installed_verifier()
        assert verifier is not None
        buffer = io.BytesIO()
        Image.new("L", (320, 320), 255).save(buffer, format="PNG")
        with pytest.raises(ExtractionFailed):
            verifier.extract(buffer.getvalue())
