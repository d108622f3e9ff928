"""Errors of the biometrics capability."""

from __future__ import annotations

from civicid.core.errors import CivicIDError, Conflict, InvalidInput, NotFound


class ExtractionFailed(InvalidInput):
    """No usable template in the capture (no face found, unreadable image, quality too low)."""

    code = "biometric_extraction_failed"
    title = "No usable biometric in the capture"


class TemplateMismatch(CivicIDError):
    """Two templates of different modality, model or model version were about to be compared.

    Scores of different models live on different scales: comparing them would produce a number that
    means nothing, so it is refused rather than computed (DESIGN.md decision 6).
    """

    code = "biometric_template_mismatch"
    title = "Biometric templates of different models cannot be compared"
    status = 409


class DuplicateReference(Conflict):
    """MOSIP ABIS ``Insert``: a referenceId already in the gallery is an error, never an overwrite."""

    code = "biometric_reference_exists"
    title = "Reference already in the gallery"


class UnknownReference(NotFound):
    """MOSIP ABIS ``Delete`` of a referenceId that the gallery does not hold."""

    code = "biometric_reference_not_found"
    title = "Reference not in the gallery"


class ApproximateSearchUnavailable(RuntimeError):
    """The approximate gallery cannot be used: faiss is missing, or the recall check failed.

    A configuration problem of the deployment, not bad input: it is a plain ``RuntimeError``.
    """
