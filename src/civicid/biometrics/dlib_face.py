"""Face templates from dlib's 128-d ResNet: the only offline face recogniser on PyPI (research/biometrics.md §1).

A main dependency since issue 16 (``dlib-bin`` and ``face-recognition-models``, decision 0059): the
server extracts every real capture's template with it and the kit checks every real portrait with
its detector before saying "saved" (:mod:`civicid.biometrics.portrait_quality`). The models are
loaded once per process (~1 s) and shared by the extractor and the quality check. HOG detection
(59 ms/face on 2 vCPU; the CNN detector takes 4 s) and the 5-point landmark model (public domain;
the 68-point one is trained on data excluding commercial use). dlib's descriptor is not unit-norm
and is compared by L2 < 0.6; normalised, that rule is roughly cosine ≥ 0.82 (see ``dedup.py``).
Good enough for a commune's pilot, far from a national-dedup matcher.
"""

from __future__ import annotations

import functools
import importlib
import io
import threading
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt
from PIL import Image, ImageOps, UnidentifiedImageError

from civicid.biometrics.errors import ExtractionFailed
from civicid.biometrics.ports import Template, TemplateKey

MODEL = "dlib-resnet-128"
VERSION = "1"
MAX_SIDE = 800
"""A camera photo is scaled down to this longest side before detection: the face stays far above
dlib's 150 px chip, and detection on a 12-megapixel photo would take seconds on a kit."""
MAX_IMAGE_BYTES = 12 * 1024 * 1024
Pixels = npt.NDArray[np.uint8]


def dlib_available() -> bool:
    try:
        importlib.import_module("dlib")
        importlib.import_module("face_recognition_models")
    except ImportError:
        return False
    return True


@dataclass(frozen=True)
class FaceBox:
    """One detected face: its box in pixels and its 5 landmarks (dlib's: eye corners ×4, nose base)."""

    left: int
    top: int
    right: int
    bottom: int
    landmarks: tuple[tuple[float, float], ...]
    shape: Any  # dlib's full_object_detection, for the encoder

    @property
    def width(self) -> int:
        return self.right - self.left

    @property
    def height(self) -> int:
        return self.bottom - self.top


class DlibModels:
    """dlib's HOG detector, 5-point landmarks and ResNet encoder, loaded once; one call at a time.

    dlib's objects are not documented as thread-safe and the pages are served from a thread pool.
    """

    def __init__(self) -> None:
        try:
            dlib: Any = importlib.import_module("dlib")
            models: Any = importlib.import_module("face_recognition_models")
        except ImportError as exc:
            raise RuntimeError("the dlib face model is missing: pip install dlib-bin face-recognition-models") from exc
        self.dlib = dlib
        self.detector = dlib.get_frontal_face_detector()
        self.landmarks = dlib.shape_predictor(models.pose_predictor_five_point_model_location())
        self.encoder = dlib.face_recognition_model_v1(models.face_recognition_model_location())
        self.lock = threading.Lock()

    def faces(self, pixels: Pixels, *, upsample: int = 1) -> list[FaceBox]:
        """Every face the detector finds, with its landmarks, largest first."""
        with self.lock:
            found = []
            for box in self.detector(pixels, upsample):
                shape = self.landmarks(pixels, box)
                points = tuple((float(shape.part(i).x), float(shape.part(i).y)) for i in range(shape.num_parts))
                found.append(FaceBox(box.left(), box.top(), box.right(), box.bottom(), points, shape))
        return sorted(found, key=lambda f: f.width * f.height, reverse=True)

    def descriptor(self, pixels: Pixels, face: FaceBox, jitters: int) -> npt.NDArray[np.float64]:
        with self.lock:
            return np.asarray(self.encoder.compute_face_descriptor(pixels, face.shape, jitters), dtype=np.float64)


@functools.cache
def shared_models() -> DlibModels:
    """The process's one copy of the models (~100 MB in memory)."""
    return DlibModels()


def decode(image: bytes, *, max_side: int = MAX_SIDE) -> Pixels:
    """JPEG/PNG/WebP bytes → upright RGB pixels (EXIF orientation applied), longest side ≤ ``max_side``."""
    if len(image) > MAX_IMAGE_BYTES:
        raise ExtractionFailed(f"the image is larger than {MAX_IMAGE_BYTES // 1_000_000} MB")
    try:
        with Image.open(io.BytesIO(image)) as opened:
            picture = ImageOps.exif_transpose(opened).convert("RGB")
    except (UnidentifiedImageError, OSError, ValueError, Image.DecompressionBombError) as exc:
        raise ExtractionFailed("the image could not be decoded") from exc
    picture.thumbnail((max_side, max_side), Image.Resampling.LANCZOS)
    return np.ascontiguousarray(np.asarray(picture, dtype=np.uint8))


class DlibFaceExtractor:
    """Largest detected face → 128-d descriptor, normalised. Loading the models takes ~1 s: build once."""

    def __init__(self, *, num_jitters: int = 1, models: DlibModels | None = None) -> None:
        self._models = models or shared_models()
        self._jitters = num_jitters

    @property
    def key(self) -> TemplateKey:
        return TemplateKey("face", MODEL, VERSION, 128)

    def extract(self, image: bytes) -> Template:
        pixels = decode(image)
        faces = self._models.faces(pixels)
        if not faces:
            raise ExtractionFailed("no face found in the image")
        face = faces[0]
        descriptor = self._models.descriptor(pixels, face, self._jitters)
        # Quality proxy: the face's size, saturating at a 150 px face (dlib's chip size).
        quality = min(1.0, min(face.width, face.height) / 150.0)
        return Template.from_raw(modality="face", model=MODEL, model_version=VERSION, raw=descriptor, quality=quality)
