"""Deterministic simulated captures and extractors for the simulator and the tests.

A simulated "image" is a tiny JSON document naming a synthetic identity and a capture. The
template is the identity's base vector (a seeded Gaussian, normalised: a uniform point on the
sphere) plus capture noise whose strength varies per capture, normalised again.

The distributions imitate an ArcFace-class face model (research/biometrics.md §4 uses mated
cosine ~0.71 as "a typical genuine ArcFace similarity"): with noise of squared norm s² the cosine to
the base is 1/sqrt(1 + s²), and between two captures 1/sqrt((1 + s₁²)(1 + s₂²)). Face: 512
dimensions, s² log-normal around 0.35, giving mated scores of mean ≈0.75, sd ≈0.06; non-mated
scores are ≈N(0, 1/√512) = sd 0.044. Finger (a fixed-length, DeepPrint-style embedding, not
minutiae): 256 dimensions with more noise, mated mean ≈0.62, sd ≈0.08; non-mated sd 0.0625.
``tests/biometrics/test_dedup.py`` measures these and the thresholds derived from them.
"""

from __future__ import annotations

import hashlib
import json
import math
from dataclasses import dataclass

import numpy as np

from civicid.biometrics.errors import ExtractionFailed
from civicid.biometrics.ports import Extractor, Modality, Template, TemplateKey, Vector


@dataclass(frozen=True)
class SimulatedModel:
    """The parameters of one simulated model: name, dimension and capture-noise distribution."""

    modality: Modality
    model: str
    dim: int
    noise_mean: float  # mean of s², the squared norm of the capture noise
    noise_spread: float  # sd of log(s²)
    version: str = "1"

    @property
    def key(self) -> TemplateKey:
        return TemplateKey(self.modality, self.model, self.version, self.dim)


SIM_FACE = SimulatedModel("face", "civicid-sim-face", 512, noise_mean=0.35, noise_spread=0.45)
SIM_FINGER = SimulatedModel("finger", "civicid-sim-finger", 256, noise_mean=0.65, noise_spread=0.5)
_MODELS: dict[Modality, SimulatedModel] = {"face": SIM_FACE, "finger": SIM_FINGER}
# Distinct seed streams per modality, so a person's face and finger bases are unrelated.
_STREAM = {"face": 0xFACE, "finger": 0xF1F6}
_FORMAT = "civicid-sim-capture/1"


def simulated_capture(identity_seed: int, capture_seed: int, modality: Modality) -> bytes:
    """The bytes of a simulated capture of ``identity_seed``; ``capture_seed`` varies the noise."""
    document = {"format": _FORMAT, "modality": modality, "identity": identity_seed, "capture": capture_seed}
    return json.dumps(document, separators=(",", ":"), sort_keys=True).encode()


def identity_vector(identity_seed: int, model: SimulatedModel) -> Vector:
    """The noise-free base vector of a synthetic identity: a seeded uniform point on the unit sphere."""
    rng = np.random.default_rng([_STREAM[model.modality], identity_seed])
    base = rng.standard_normal(model.dim)
    return (base / np.linalg.norm(base)).astype(np.float32)


def capture_vector(identity_seed: int, capture_seed: int, model: SimulatedModel) -> tuple[Vector, float]:
    """The template vector of one capture and its quality (its cosine to the identity's base)."""
    rng = np.random.default_rng([_STREAM[model.modality], identity_seed, capture_seed, 1])
    s2 = model.noise_mean * math.exp(rng.normal(0.0, model.noise_spread) - model.noise_spread**2 / 2)
    noise = rng.standard_normal(model.dim) * math.sqrt(s2 / model.dim)
    vector = identity_vector(identity_seed, model).astype(np.float64) + noise
    quality = 1.0 / math.sqrt(1.0 + s2)
    return (vector / np.linalg.norm(vector)).astype(np.float32), quality


def add_capture_noise(vectors: Vector, model: SimulatedModel, seed: int) -> Vector:
    """Mated probes for many base rows at once, with the same noise as :func:`capture_vector` (benchmarks)."""
    rng = np.random.default_rng(seed)
    m, dim = vectors.shape
    s2 = model.noise_mean * np.exp(rng.normal(0.0, model.noise_spread, m) - model.noise_spread**2 / 2)
    noisy = vectors + rng.standard_normal((m, dim)).astype(np.float32) * np.sqrt(s2 / dim)[:, None].astype(np.float32)
    probes: Vector = (noisy / np.linalg.norm(noisy, axis=1, keepdims=True)).astype(np.float32)
    return probes


class SimulatedExtractor:
    """Reads a :func:`simulated_capture` and returns its deterministic template."""

    def __init__(self, model: SimulatedModel) -> None:
        self._model = model

    @property
    def key(self) -> TemplateKey:
        return self._model.key

    def extract(self, image: bytes) -> Template:
        try:
            document = json.loads(image)
            identity, capture = int(document["identity"]), int(document["capture"])
            ok = document["format"] == _FORMAT and document["modality"] == self._model.modality
        except (ValueError, KeyError, TypeError) as exc:
            raise ExtractionFailed("not a simulated capture") from exc
        if not ok:
            raise ExtractionFailed(f"not a simulated {self._model.modality} capture")
        vector, quality = capture_vector(identity, capture, self._model)
        return Template(self._model.modality, self._model.model, self._model.version, vector, quality)


class SimulatedFaceExtractor(SimulatedExtractor):
    def __init__(self) -> None:
        super().__init__(SIM_FACE)


class SimulatedFingerExtractor(SimulatedExtractor):
    def __init__(self) -> None:
        super().__init__(SIM_FINGER)


def simulated_model(modality: Modality) -> SimulatedModel:
    return _MODELS[modality]


def simulated_extractors() -> dict[str, Extractor]:
    """The simulator's deterministic extractors: the demo's and the tests' captures are made for them."""
    return {"face": SimulatedFaceExtractor(), "finger": SimulatedFingerExtractor()}


# Portraits: the simulator's drawn faces stand for the registry's card photos and for the selfies of the
# tests and the demo. They are small SVG drawings, so no face model can read them; the portrait
# extractor below reads a drawing as the simulated face of that drawing (docs/decisions/0052).
SIM_PORTRAIT = SimulatedModel("face", "civicid-sim-portrait", 128, noise_mean=0.0, noise_spread=0.0)
_PORTRAIT_MAX_BYTES = 16 * 1024


def drawn_portrait(identity_seed: int) -> bytes:
    """A small drawn face whose colours and features follow the identity (not a photo of anyone)."""
    h = hashlib.sha256(f"portrait-{identity_seed}".encode()).digest()
    skin = f"#{200 + h[0] % 40:02x}{160 + h[1] % 40:02x}{120 + h[2] % 40:02x}"
    hair = f"#{h[3] % 60:02x}{h[4] % 50:02x}{h[5] % 40:02x}"
    shirt = f"#{h[6]:02x}{h[7]:02x}{h[8]:02x}"
    eye_gap = 14 + h[9] % 8
    mouth = 6 + h[10] % 10
    return (
        '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 120 150" width="120" height="150">'
        '<rect width="120" height="150" fill="#e8eef3"/>'
        f'<rect x="20" y="110" width="80" height="40" rx="18" fill="{shirt}"/>'
        f'<ellipse cx="60" cy="70" rx="32" ry="40" fill="{skin}"/>'
        f'<path d="M28 60 Q60 {10 + h[11] % 15} 92 60" fill="{hair}"/>'
        f'<circle cx="{60 - eye_gap}" cy="72" r="4" fill="#222"/>'
        f'<circle cx="{60 + eye_gap}" cy="72" r="4" fill="#222"/>'
        f'<path d="M{60 - mouth} 94 Q60 {98 + h[12] % 6} {60 + mouth} 94" stroke="#833" stroke-width="3" fill="none"/>'
        "</svg>"
    ).encode()


class DrawnPortraits:
    """The registry's portraits in the simulation: each person's drawn face (``accounts.ports.RegistryPortraits``)."""

    def portrait(self, *, person_id: int, id_number: str) -> bytes | None:
        return drawn_portrait(person_id)


class SimulatedPortraitExtractor:
    """A face "found" in a drawn portrait: the same drawing gives the same template, another drawing another.

    Anything that is not a drawing with a face in it (a photo, a blank page) has no face here: the
    simulation cannot see photos. The real model (``dlib_face.DlibFaceExtractor``) replaces this one
    where it is installed and the registry holds photos.
    """

    @property
    def key(self) -> TemplateKey:
        return SIM_PORTRAIT.key

    def extract(self, image: bytes) -> Template:
        text = image.strip()
        if len(text) > _PORTRAIT_MAX_BYTES or not text.startswith(b"<svg") or b"<ellipse" not in text:
            raise ExtractionFailed("no face in the image")
        seed = int.from_bytes(hashlib.sha256(text).digest()[:8], "big")
        vector = identity_vector(seed, SIM_PORTRAIT)
        return Template("face", SIM_PORTRAIT.model, SIM_PORTRAIT.version, vector, 1.0)
