"""Fingerprint 1:1 with NIST's NBIS (mindtct minutiae, bozorth3 matching): the offline fingerprint matcher.

A main dependency where it has wheels (``nbis-py``, a 41 MB self-contained wheel, MIT, Rust
bindings to NIST's public-domain NBIS; docs/decisions/0027-fingerprint-matcher.md says why this one).
Nothing is imported until a verifier is built, so the package works without it. mindtct finds the
minutiae of a 500 ppi image (PNG, JPEG or anything OpenCV decodes); bozorth3 scores two minutiae
sets rotation- and translation-invariantly. NIST's rule of thumb: a score of 40 or more is a match.
Scores are integers on bozorth3's own scale, not cosines: they are shown as they are, with the model.
"""

from __future__ import annotations

import importlib
import importlib.metadata
import threading
from typing import Any

from civicid.biometrics.errors import ExtractionFailed
from civicid.biometrics.ports import MinutiaeTemplate, MinutiaeVerifier

MODEL = "nist-nbis-mindtct-bozorth3"
DISTRIBUTION = "nbis-py"
MATCH_THRESHOLD = 40.0
"""bozorth3 score at and above which NIST calls two prints a match (NBIS user's guide, bozorth3)."""


def _nbis() -> Any:
    # A wheel built for a newer C library fails at load time with OSError, not ImportError.
    try:
        return importlib.import_module("nbis")
    except (ImportError, OSError) as exc:
        raise RuntimeError("the fingerprint matcher needs nbis-py, which has no wheel for this platform") from exc


def nbis_available() -> bool:
    try:
        _nbis()
    except RuntimeError:
        return False
    return True


class NbisFingerprintVerifier(MinutiaeVerifier):
    """Image → minutiae (mindtct), and minutiae × minutiae → bozorth3 score. Build once and reuse."""

    def __init__(self) -> None:
        nbis = _nbis()
        settings = nbis.NbisExtractorSettings(
            min_quality=0.0, get_center=False, check_fingerprint=False, compute_nfiq2=False, ppi=None
        )
        self._nbis = nbis
        self._extractor = nbis.new_nbis_extractor(settings)
        # NIST's C code keeps state in globals; pages are served from a thread pool: one call at a time.
        self._lock = threading.Lock()
        # The model version is the binding's release: it pins both mindtct and bozorth3 as built.
        self.model = MODEL
        self.model_version = importlib.metadata.version(DISTRIBUTION)

    def extract(self, image: bytes) -> MinutiaeTemplate:
        """The minutiae of one fingerprint image; :class:`ExtractionFailed` when none can be read."""
        try:
            with self._lock:
                minutiae = self._extractor.extract_minutiae(image)
                record = bytes(minutiae.to_iso_19794_2_2005())
                count = len(minutiae.get())
        except self._nbis.NbisError as exc:
            raise ExtractionFailed("no fingerprint could be read from the image") from exc
        if count == 0:
            raise ExtractionFailed("no minutiae were found in the fingerprint image")
        return MinutiaeTemplate(self.model, self.model_version, record, count)

    def score(self, a: MinutiaeTemplate, b: MinutiaeTemplate) -> float:
        """bozorth3 score of two templates of this model and version (higher is more alike)."""
        expected = MinutiaeTemplate(self.model, self.model_version, b"", 0)
        expected.require_same_model(a)
        expected.require_same_model(b)
        with self._lock:
            first = self._extractor.load_iso_19794_2_2005(a.record)
            second = self._extractor.load_iso_19794_2_2005(b.record)
            return float(first.compare(second))
