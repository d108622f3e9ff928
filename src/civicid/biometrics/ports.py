"""The three biometric ports: Extractor, Verifier, Gallery (DESIGN.md decision 6).

A template is a unit-normalised float32 vector tagged with its modality, model name and model
version. Scores are cosine similarities, which for unit vectors is a dot product. Templates of a
different modality, model or version are never compared: every port raises
:class:`~civicid.biometrics.errors.TemplateMismatch` instead. The gallery's operations are those of
the MOSIP ABIS API (Insert, Identify, Delete, ReferenceCount) so that a real ABIS can plug in behind
the same port.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal, Protocol, TypeVar, runtime_checkable

import numpy as np
import numpy.typing as npt

from civicid.biometrics.errors import TemplateMismatch

Modality = Literal["face", "finger"]
MODALITIES: tuple[Modality, ...] = ("face", "finger")
Vector = npt.NDArray[np.float32]


@dataclass(frozen=True)
class TemplateKey:
    """What two templates must share to be comparable: modality, model, model version and dimension."""

    modality: Modality
    model: str
    model_version: str
    dim: int

    def require_same(self, other: TemplateKey) -> None:
        """Raise :class:`TemplateMismatch` unless ``other`` is the same key."""
        if other != self:
            raise TemplateMismatch(
                f"cannot compare {other.describe()} with {self.describe()}",
                expected=self.describe(),
                given=other.describe(),
            )

    def describe(self) -> str:
        return f"{self.modality}/{self.model}@{self.model_version}[{self.dim}]"


@dataclass(frozen=True, eq=False)
class Template:
    """One biometric template: a unit-normalised float32 vector and what produced it.

    The vector is made read-only on construction so that a frozen template is really immutable (a
    gallery keeps its own copy anyway). ``quality`` is in [0, 1], higher is better.
    """

    modality: Modality
    model: str
    model_version: str
    vector: Vector
    quality: float

    def __post_init__(self) -> None:
        vector = np.asarray(self.vector, dtype=np.float32)
        if vector.ndim != 1 or vector.size == 0:
            raise ValueError("a template vector is one-dimensional and not empty")
        norm = float(np.linalg.norm(vector))
        if not np.isfinite(norm) or abs(norm - 1.0) > 1e-3:
            raise ValueError(f"a template vector must be unit-normalised (norm {norm:.4f})")
        if self.modality not in MODALITIES:
            raise ValueError(f"unknown modality {self.modality!r}")
        vector = vector.copy()
        vector.flags.writeable = False
        object.__setattr__(self, "vector", vector)

    @property
    def key(self) -> TemplateKey:
        return TemplateKey(self.modality, self.model, self.model_version, int(self.vector.shape[0]))

    @classmethod
    def from_raw(
        cls, *, modality: Modality, model: str, model_version: str, raw: npt.ArrayLike, quality: float
    ) -> Template:
        """A template from any real vector, normalised to unit length (models rarely emit unit vectors)."""
        vector = np.asarray(raw, dtype=np.float64)
        norm = float(np.linalg.norm(vector))
        if norm == 0.0 or not np.isfinite(norm):
            raise ValueError("cannot normalise a zero or non-finite vector")
        return cls(modality, model, model_version, (vector / norm).astype(np.float32), quality)


@dataclass(frozen=True)
class Candidate:
    """One entry of an ABIS candidate list: the reference and its cosine score to the probe."""

    reference_id: str
    score: float


@runtime_checkable
class Extractor(Protocol):
    """Capture bytes → template. Raises :class:`~civicid.biometrics.errors.ExtractionFailed`."""

    @property
    def key(self) -> TemplateKey: ...

    def extract(self, image: bytes) -> Template: ...


@dataclass(frozen=True)
class MinutiaeTemplate:
    """A fingerprint template that is not a vector: one finger's minutiae and the model that found them.

    ``record`` is an ISO/IEC 19794-2:2005 finger minutiae record, the interchange format every
    minutiae matcher reads; ``minutiae`` is how many it holds (few minutiae, weak evidence). Minutiae
    matchers score on their own scale (bozorth3: about 40 and above is a match), so, like vectors,
    templates of another model or version are never compared.
    """

    model: str
    model_version: str
    record: bytes
    minutiae: int
    modality: Modality = "finger"

    def require_same_model(self, other: MinutiaeTemplate) -> None:
        """Raise :class:`TemplateMismatch` unless ``other`` comes from the same model and version."""
        mine, theirs = self.describe(), other.describe()
        if mine != theirs:
            raise TemplateMismatch(f"cannot compare {theirs} with {mine}", expected=mine, given=theirs)

    def describe(self) -> str:
        return f"{self.modality}/{self.model}@{self.model_version}[minutiae]"


TemplateT = TypeVar("TemplateT", Template, MinutiaeTemplate, contravariant=True)


@runtime_checkable
class Verifier(Protocol[TemplateT]):
    """1:1 comparison: a similarity score, higher is more alike. Refuses templates of different models.

    ``Verifier[Template]`` compares vectors (cosine); ``Verifier[MinutiaeTemplate]`` compares
    fingerprint minutiae with a minutiae matcher, on that matcher's scale.
    """

    def score(self, a: TemplateT, b: TemplateT) -> float: ...


@runtime_checkable
class MinutiaeVerifier(Verifier[MinutiaeTemplate], Protocol):
    """A fingerprint verifier that reads its own templates from images (minutiae need the matcher's extractor)."""

    model: str
    model_version: str

    def extract(self, image: bytes) -> MinutiaeTemplate: ...


@runtime_checkable
class Gallery(Protocol):
    """1:N search over enrolled templates of one model, shaped like the MOSIP ABIS API.

    ``insert`` never de-duplicates (ABIS semantics: identify first, then insert) and refuses a
    reference already present; ``identify`` returns at most ``top_k`` candidates, best first.
    """

    @property
    def key(self) -> TemplateKey: ...

    def insert(self, reference_id: str, template: Template) -> None: ...

    def identify(self, template: Template, top_k: int) -> list[Candidate]: ...

    def identify_batch(self, templates: Sequence[Template], top_k: int) -> list[list[Candidate]]: ...

    def delete(self, reference_id: str) -> None: ...

    def count(self) -> int: ...

    def __contains__(self, reference_id: object) -> bool: ...


class CosineVerifier(Verifier[Template]):
    """The verifier for every vector template: cosine similarity of unit vectors (a dot product)."""

    def score(self, a: Template, b: Template) -> float:
        a.key.require_same(b.key)
        return float(np.dot(a.vector, b.vector))


def stack(templates: Sequence[Template], key: TemplateKey) -> Vector:
    """The templates' vectors as one C-contiguous (m, dim) float32 matrix, after checking each key."""
    for template in templates:
        key.require_same(template.key)
    if not templates:
        return np.zeros((0, key.dim), dtype=np.float32)
    return np.ascontiguousarray(np.stack([t.vector for t in templates]), dtype=np.float32)
